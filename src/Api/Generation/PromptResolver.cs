using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Inference.Engine;
using GqaService.Inference.Templating;

namespace GqaService.Api.Generation;

/// <summary>
/// Turns <c>prompt</c> or <c>messages</c> into the token ids the engine runs (BOS added to text unless the chat template renders
/// it itself, ids used as given). Only the
/// wire shape is checked here; what the ids may be (vocabulary, context) is the engine's one validator's job.
/// Null, with the errors filled in, when the field cannot be turned into ids at all.
/// </summary>
internal static class PromptResolver
{
    public static IReadOnlyList<int>? FromPrompt(PromptInput? prompt, IInferenceEngine engine, ValidationErrors errors, string field = "prompt")
    {
        if (prompt is null)
        {
            errors.Add(field, "is required: a string or an array of token ids.");
            return null;
        }
        if (prompt.TokenIds is { } ids)
        {
            return ids;
        }
        if (string.IsNullOrEmpty(prompt.Text))
        {
            errors.Add(field, "must not be empty.");
            return null;
        }
        return Encode(prompt.Text, engine, field, errors);
    }

    public static IReadOnlyList<int>? FromMessages(IReadOnlyList<ChatMessageInput>? messages, IInferenceEngine engine, IChatTemplate template, ValidationErrors errors)
    {
        if (messages is null || messages.Count == 0)
        {
            errors.Add("messages", "must contain at least one message.");
            return null;
        }
        var turns = new List<ChatTurn>(messages.Count);
        var valid = true;
        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i].Role?.ToLowerInvariant();
            if (role is null || !PlainChatTemplate.Roles.Contains(role))
            {
                errors.Add($"messages[{i}].role", $"must be one of {string.Join(", ", PlainChatTemplate.Roles)} (got '{messages[i].Role}').");
                valid = false;
            }
            if (messages[i].Content is null)
            {
                errors.Add($"messages[{i}].content", "is required.");
                valid = false;
            }
            turns.Add(new ChatTurn(role ?? "user", messages[i].Content?.Text ?? ""));
        }
        if (!valid)
        {
            return null;
        }
        string prompt;
        try
        {
            prompt = template.Render(turns);
        }
        catch (TemplateRenderException error)
        {
            errors.Add("messages", error.RaisedByTemplate
                ? $"the model's chat template refused the conversation: {error.Message}"
                : $"the model's chat template failed on the conversation: {error.Message}");
            return null;
        }
        // A template that writes its own BOS (most real ones do) must not get a second one from the tokenizer.
        return Encode(prompt, engine, "messages", errors, addBos: !template.RendersSpecialTokens);
    }

    private static IReadOnlyList<int>? Encode(string text, IInferenceEngine engine, string field, ValidationErrors errors, bool addBos = true)
    {
        if (engine.Tokenizer is not { } tokenizer)
        {
            errors.Add(field, "is text, but this model has no tokenizer: send an array of token ids to /v1/completions instead.");
            return null;
        }
        return tokenizer.Encode(text, addBos);
    }
}
