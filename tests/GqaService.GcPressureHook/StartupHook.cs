// The runtime looks the hook up by this exact name, in the global namespace.
#pragma warning disable CA1050
/// <summary>
/// Started by the runtime before Main when named in DOTNET_STARTUP_HOOKS: runs full blocking collections and pending
/// finalizers back to back (gen 0) on a background thread for the life of the process, and says so on stderr.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var thread = new Thread(() =>
        {
            while (true)
            {
                // Gen-0 collections are cheap enough to run thousands of times a second, and a temporary
                // Scalar is young: that is where its finalizer gets scheduled.
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        })
        { IsBackground = true, Name = "gc-pressure-hook" };
        thread.Start();
        Console.Error.WriteLine("gc-pressure hook: collecting without pause");
    }
}
