using Rookery.Modules.DataForms;

namespace Rookery.Modules.AdHoc;

/// <summary>
/// What a command answers to a stage (XEP-0050 §3.4): a form to fill in with the actions allowed on it (status
/// executing), or the end of the command with notes and an optional result form (status completed).
/// </summary>
public sealed class AdHocStep
{
    private AdHocStep(bool completed, DataForm? form, AdHocAction actions, AdHocAction execute)
    {
        IsCompleted = completed;
        Form = form;
        Actions = actions;
        DefaultAction = execute;
    }

    /// <summary>True when the command is finished.</summary>
    public bool IsCompleted { get; }

    /// <summary>The form to fill in, or the result form of a completed command; null for none.</summary>
    public DataForm? Form { get; }

    /// <summary>The actions allowed on the form (<see cref="AdHocAction.Prev"/> is added by the module when there is a stage to go back to).</summary>
    public AdHocAction Actions { get; }

    /// <summary>The action <c>execute</c> stands for on this form.</summary>
    public AdHocAction DefaultAction { get; }

    /// <summary>Notes shown with the stage (XEP-0050 §3.4.2): type <c>info</c>, <c>warn</c> or <c>error</c>, and the text.</summary>
    public List<(string Type, string Text)> Notes { get; } = [];

    /// <summary>
    /// A form to fill in. <paramref name="actions"/> lists what the requester may do with it (Next and/or Complete) and
    /// <paramref name="execute"/> which of them <c>execute</c> means.
    /// </summary>
    public static AdHocStep Ask(DataForm form, AdHocAction actions = AdHocAction.Complete, AdHocAction execute = AdHocAction.Complete)
    {
        ArgumentNullException.ThrowIfNull(form);
        if ((actions & ~(AdHocAction.Next | AdHocAction.Complete)) != 0 || (actions & execute) != execute || execute is not (AdHocAction.Next or AdHocAction.Complete))
        {
            throw new ArgumentException("A form allows Next and/or Complete, and execute must be one of them", nameof(actions));
        }

        return new AdHocStep(false, form, actions, execute);
    }

    /// <summary>The end of the command, with an optional result form and an optional note.</summary>
    public static AdHocStep Completed(DataForm? result = null, string? note = null, string noteType = "info")
    {
        var step = new AdHocStep(true, result, AdHocAction.None, AdHocAction.None);
        if (note is not null)
        {
            step.Notes.Add((noteType, note));
        }

        return step;
    }
}
