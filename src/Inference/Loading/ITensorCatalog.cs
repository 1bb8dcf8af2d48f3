namespace GqaService.Inference.Loading;

/// <summary>A tensor source that can list what it holds, so the assembler can refuse tensors the family does not use.</summary>
internal interface ITensorCatalog
{
    IEnumerable<string> TensorNames { get; }

    /// <summary>The file to blame for a tensor (the shard that holds it).</summary>
    string FileOf(string name);
}
