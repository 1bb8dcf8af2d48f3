namespace GqaService.Api.Generation;

/// <summary>Renders chat messages into the prompt text the model continues. Register another implementation to replace the plain one.</summary>
public interface IChatTemplate
{
    /// <summary>True when the rendered text already starts with what the model needs (a model template writes
    /// <c>bos_token</c> itself), so the prompt is encoded without adding a BOS; false for templates that leave it to the tokenizer.</summary>
    bool RendersSpecialTokens => false;

    /// <summary>Throws <see cref="GqaService.Inference.Templating.TemplateRenderException"/> when the template refuses the
    /// conversation (e.g. roles that do not alternate); the endpoint answers 400 naming <c>messages</c>. The chat endpoint
    /// always asks for the generation prompt (the model answers next); <c>/tokenize</c> may leave it off.</summary>
    string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true);
}
