using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using GqaService.Inference.Engine;
using GqaService.Inference.Templating;

namespace GqaService.Api.Generation;

/// <summary>Turns <c>prompt</c> or <c>messages</c> into the token ids the engine runs (BOS added to text unless the chat
/// template renders it itself, ids used as given).</summary>
internal static class PromptResolver
{
    public static IReadOnlyList<int> FromPrompt(PromptInput? prompt, IInferenceEngine engine, ValidationErrors errors)
    {
        if (prompt is null)
        {
            errors.Add("prompt", "is required: a string or an array of token ids.");
            return [];
        }
        if (prompt.TokenIds is { } ids)
        {
            if (ids.Count == 0)
            {
                errors.Add("prompt", "must not be empty.");
            }
            CheckVocabulary(ids, engine.Model.Config.VocabSize, "prompt", errors);
            CheckContext(ids.Count, engine, "prompt", errors);
            return ids;
        }
        if (string.IsNullOrEmpty(prompt.Text))
        {
            errors.Add("prompt", "must not be empty.");
            return [];
        }
        return Encode(prompt.Text, engine, "prompt", errors);
    }

    public static IReadOnlyList<int> FromMessages(IReadOnlyList<ChatMessageInput>? messages, IInferenceEngine engine, IChatTemplate template, ValidationErrors errors)
    {
        if (messages is null || messages.Count == 0)
        {
            errors.Add("messages", "must contain at least one message.");
            return [];
        }
        var turns = new List<ChatTurn>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i].Role?.ToLowerInvariant();
            if (role is null || !PlainChatTemplate.Roles.Contains(role))
            {
                errors.Add($"messages[{i}].role", $"must be one of {string.Join(", ", PlainChatTemplate.Roles)} (got '{messages[i].Role}').");
            }
            if (messages[i].Content is null)
            {
                errors.Add($"messages[{i}].content", "is required.");
            }
            turns.Add(new ChatTurn(role ?? "user", messages[i].Content?.Text ?? ""));
        }
        if (errors.Any)
        {
            return [];
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
            return [];
        }
        return Encode(prompt, engine, "messages", errors, addBos: !template.RendersSpecialTokens);
    }

    private static IReadOnlyList<int> Encode(string text, IInferenceEngine engine, string field, ValidationErrors errors, bool addBos = true)
    {
        if (engine.Tokenizer is not { } tokenizer)
        {
            errors.Add(field, "is text, but this model has no tokenizer: send an array of token ids to /v1/completions instead.");
            return [];
        }
        var ids = tokenizer.Encode(text, addBos);
        CheckContext(ids.Count, engine, field, errors);
        return ids;
    }

    private static void CheckVocabulary(IReadOnlyList<int> ids, int vocabSize, string field, ValidationErrors errors)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] < 0 || ids[i] >= vocabSize)
            {
                errors.Add(field, $"token id {ids[i]} at index {i} is outside the vocabulary (0..{vocabSize - 1}).");
                return;
            }
        }
    }

    private static void CheckContext(int promptTokens, IInferenceEngine engine, string field, ValidationErrors errors)
    {
        var context = engine.Model.Config.MaxContext;
        // At least one position must stay free for the first generated token (the engine refuses a full context too).
        if (promptTokens >= context)
        {
            errors.Add(field, $"the prompt is {promptTokens} tokens but the model's context is {context} tokens (a prompt may use at most {context - 1}).");
        }
    }
}
