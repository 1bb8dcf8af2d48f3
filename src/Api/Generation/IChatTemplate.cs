namespace GqaService.Api.Generation;

/// <summary>Renders chat messages into the prompt text the model continues. Register another implementation to replace the plain one.</summary>
public interface IChatTemplate
{
    string Render(IReadOnlyList<ChatTurn> messages);
}
