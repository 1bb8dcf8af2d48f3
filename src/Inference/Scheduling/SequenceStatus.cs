namespace GqaService.Inference.Scheduling;

public enum SequenceStatus
{
    Waiting,
    Running,
    Finished,
}
