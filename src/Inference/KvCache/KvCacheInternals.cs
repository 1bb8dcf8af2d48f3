using System.Runtime.CompilerServices;

// Lets the tests force hash collisions in PrefixBlockIndex and inspect its entries.
[assembly: InternalsVisibleTo("GqaService.Inference.Tests")]
