using GqaService.Benchmarks;

// Benchmarks print figures; they never pass or fail. See docs/benchmarks.md for recorded runs.
return args.FirstOrDefault() switch
{
    "throughput" => await ThroughputBenchmark.RunAsync(args[1..]),
    "kv" => await KvMemoryBenchmark.RunAsync(args[1..]),
    "step" => await StepBenchmark.RunAsync(args[1..]),
    "linear" => await LinearBenchmark.RunAsync(args[1..]),
    "load" => LoadMemoryBenchmark.Run(args[1..]),
    "gqa" => await GqaTableBenchmark.RunAsync(args[1..]),
    "observatory" => await ObservatoryBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          throughput --model PATH [--concurrency 1,4,16,64] [--max-tokens 128] [--requests-per-stream 3] [--prompt-tokens 16] [--prefill-chunk 256] [--max-batched-tokens 512]
               [--weight-dtype auto|f32|bf16|f16|q8_0] [--kv-dtype f32|bf16|f16]
          kv --model PATH [--budget-mib 64] [--requests 64] [--kv-dtype f32|bf16|f16]
          step --model PATH [--context 64] [--batch 1,16,64] [--iterations 500] [--threads 0] [--kv-dtype f32|bf16|f16] [--weight-dtype auto|f32|bf16|f16|q8_0]
               [--native-kernels on|off] [--fused-layers on|off] [--kernel-threads N] [--spin-us 200] [--prefill 256,512]
          linear [--weight-dtype f32|bf16|f16] [--rows 1,4,16,32,64,128] [--rounds 5] [--threads N] [--kernel-threads N] [--spin-us 200]
               [--dim 768] [--hidden 2048] [--layers 12] [--kv-width 256] [--vocab 32000]
          load [--dim 1024] [--layers 16] [--hidden 4096] [--heads 16] [--kv-heads 4] [--vocab 32000]
          gqa --model stories260K.bin --text tests/data/heldout-stories.txt [--out docs/gqa-table.json] [--max-tokens 128] [--requests-per-stream 2]
          observatory [--model PATH] [--streams 16] [--max-tokens 128] [--kv-mib 64] [--iterations 20000]
        """);
    return 2;
}
