using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>
/// The chat template of the served model: its own (parsed when it loaded) where it has one the interpreter runs, else the
/// documented <see cref="PlainChatTemplate"/>. Chosen on first use, once the engine has its model.
/// </summary>
public sealed class ModelChatTemplate(IInferenceEngine engine) : IChatTemplate
{
    private readonly Lazy<IChatTemplate> _template = new(() => engine.Model.ChatTemplate is { } parsed
        ? new JinjaChatTemplate(parsed, engine.Model.BosToken, engine.Model.EosToken)
        : new PlainChatTemplate());

    public bool RendersSpecialTokens => _template.Value.RendersSpecialTokens;

    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true) => _template.Value.Render(messages, addGenerationPrompt);
}
