using System.Reflection;

namespace GqaService.Api.Endpoints;

/// <summary>The KV observatory page at <c>/ui</c> (and <c>/</c>, redirected): static files embedded in the assembly, no CDN.</summary>
public static class UiEndpoints
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    public static IEndpointRouteBuilder MapUi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => TypedResults.Redirect("/ui")).ExcludeFromDescription();
        app.MapGet("/ui", () => File("index.html")).ExcludeFromDescription();
        app.MapGet("/ui/{file}", (string file) => File(file)).ExcludeFromDescription();
        return app;
    }

    private static IResult File(string name)
    {
        var assembly = typeof(UiEndpoints).Assembly;
        if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType)
            || assembly.GetManifestResourceStream($"Ui/{name}") is not { } stream)
        {
            return TypedResults.NotFound();
        }
        return TypedResults.Stream(stream, contentType);
    }
}
