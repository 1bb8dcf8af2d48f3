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
    public static IReadOnlyList<int>? FromPrompt(PromptInput? prompt, IInferenceEngine engine, ValidationErrors errors, string field = "prompt",
        bool addBos = true)
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
        return Encode(prompt.Text, engine, field, errors, addBos);
    }

    /// <summary>
    /// The conversation as the token ids the engine runs: every message checked (null, not an object, a missing or unknown
    /// role, missing or empty content, unsupported fields: each a 400 naming <c>messages[i]</c>), rendered with the chat
    /// template and encoded. The chat endpoint and <c>/tokenize</c> both come here, so what one shows the other runs.
    /// </summary>
    public static IReadOnlyList<int>? FromMessages(IReadOnlyList<ChatMessageInput?>? messages, IInferenceEngine engine, IChatTemplate template,
        ValidationErrors errors, bool addGenerationPrompt = true)
    {
        if (messages is null || messages.Count == 0)
        {
            errors.Add("messages", "must contain at least one message.", messages is null ? ValidationCodes.MissingRequired : ValidationCodes.InvalidValue);
            return null;
        }
        var turns = new List<ChatTurn>(messages.Count);
        var valid = true;
        for (var i = 0; i < messages.Count; i++)
        {
            if (Turn(messages[i], i, errors) is { } turn)
            {
                turns.Add(turn);
            }
            else
            {
                valid = false;
            }
        }
        if (!valid)
        {
            return null;
        }
        string prompt;
        try
        {
            prompt = template.Render(turns, addGenerationPrompt);
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

    /// <summary>One message as a turn, or null with its errors added.</summary>
    private static ChatTurn? Turn(ChatMessageInput? message, int index, ValidationErrors errors)
    {
        var field = $"messages[{index}]";
        if (message is null)
        {
            errors.Add(field, "must be a message object ({\"role\": ..., \"content\": ...}), not null.", ValidationCodes.InvalidType);
            return null;
        }
        var errorsBefore = errors.Count;
        var role = message.Role?.ToLowerInvariant();
        if (role is null || !PlainChatTemplate.Roles.Contains(role))
        {
            errors.Add($"{field}.role", message.Role is null
                ? $"is required: one of {string.Join(", ", PlainChatTemplate.Roles)}."
                : $"must be one of {string.Join(", ", PlainChatTemplate.Roles)} (got '{message.Role}').",
                message.Role is null ? ValidationCodes.MissingRequired : ValidationCodes.InvalidValue);
        }
        if (message.Content is null)
        {
            errors.Add($"{field}.content", "is required: a string or an array of text parts.", ValidationCodes.MissingRequired);
        }
        else if (message.Content.Text.Length == 0)
        {
            errors.Add($"{field}.content", "must not be empty.");
        }
        UnsupportedFields.CheckMessage(message.OtherFields, index, errors);
        return errors.Count == errorsBefore ? new ChatTurn(role!, message.Content!.Text) : null;
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
