namespace GqaService.Api.Tests.Support;

/// <summary>Tests that start server processes run one after another: each needs the machine's cores to keep its timing honest.</summary>
[CollectionDefinition(Name)]
public sealed class ServerProcessCollection
{
    public const string Name = "server processes";
}
