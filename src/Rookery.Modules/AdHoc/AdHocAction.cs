namespace Rookery.Modules.AdHoc;

/// <summary>The actions of XEP-0050 §3.4 a requester may take on a form, as flags for the allowed set.</summary>
[Flags]
public enum AdHocAction
{
    /// <summary>No action.</summary>
    None = 0,

    /// <summary>Run the command's default action (<c>execute</c>).</summary>
    Execute = 1,

    /// <summary>Submit the form and go to the next stage.</summary>
    Next = 2,

    /// <summary>Go back to the previous stage's form.</summary>
    Prev = 4,

    /// <summary>Submit the form and finish the command.</summary>
    Complete = 8,

    /// <summary>Stop the command; nothing of it takes effect.</summary>
    Cancel = 16,
}
