using Rookery.Modules.DataForms;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;

namespace Rookery.Modules.Tests.Pubsub;

/// <summary>The pubsub#subscribe_options form of the pubsub service: defaults, submitted forms, storage and presence shows.</summary>
public sealed class SubscriptionOptionsTests
{
    private static DataForm Submit(params (string Var, string[] Values)[] fields)
    {
        var form = new DataForm("submit").WithFormType(SubscriptionOptions.FormType);
        foreach (var (name, values) in fields)
        {
            form.AddField(name).Values.AddRange(values);
        }

        return form;
    }

    [Fact]
    public void Default_DeliversWhateverThePresence()
    {
        var options = SubscriptionOptions.Default;

        options.Deliver.Should().BeTrue();
        options.AcceptsShow(null).Should().BeTrue();
        options.AcceptsShow("dnd").Should().BeTrue();
        options.ToStored().Should().BeEmpty("the defaults are stored as nothing");
    }

    [Fact]
    public void With_DeliverAndShowValues_AppliedAndStoredRoundTrip()
    {
        var options = SubscriptionOptions.Default.With(Submit(("pubsub#deliver", ["false"]), ("pubsub#show-values", ["away", "online", "away"])));

        options.Deliver.Should().BeFalse();
        options.ShowValues.Should().Equal("away", "online");
        options.AcceptsShow("away").Should().BeTrue();
        options.AcceptsShow(null).Should().BeTrue("no show is 'online'");
        options.AcceptsShow("dnd").Should().BeFalse();
        SubscriptionOptions.FromStored(options.ToStored()).Should().Be(options);
    }

    [Fact]
    public void With_EmptyShowValues_NoConditionOnPresence()
    {
        var options = SubscriptionOptions.Default.With(Submit(("pubsub#show-values", ["xa"]))).With(Submit(("pubsub#show-values", [])));

        options.ShowValues.Should().BeNull();
        options.AcceptsShow("xa").Should().BeTrue();
    }

    [Fact]
    public void With_DigestAndBodyOff_Accepted_On_Refused()
    {
        SubscriptionOptions.Default.With(Submit(("pubsub#digest", ["0"]), ("pubsub#include_body", ["false"]))).Should().Be(SubscriptionOptions.Default);

        foreach (var field in new[] { "pubsub#digest", "pubsub#include_body" })
        {
            var refused = () => SubscriptionOptions.Default.With(Submit((field, ["1"])));
            refused.Should().Throw<StanzaErrorException>().Which.Condition.Should().Be(StanzaErrorCondition.BadRequest);
        }
    }

    [Theory]
    [InlineData("pubsub#show-values", "sleepy")]
    [InlineData("pubsub#deliver", "maybe")]
    [InlineData("pubsub#expire", "presence")]
    [InlineData("pubsub#digest_frequency", "1000")]
    [InlineData("pubsub#subscription_type", "items")]
    [InlineData("pubsub#subscription_depth", "1")]
    public void With_UnsupportedFieldOrValue_BadRequestInvalidOptions(string field, string value)
    {
        var refused = () => SubscriptionOptions.Default.With(Submit((field, [value])));

        var error = refused.Should().Throw<StanzaErrorException>().Which;
        error.Condition.Should().Be(StanzaErrorCondition.BadRequest);
        error.ApplicationCondition!.Name.Should().Be("invalid-options");
        error.ApplicationCondition.Namespace.Should().Be(PubsubErrors.Namespace);
    }

    [Fact]
    public void FromStored_UnreadableValue_FallsBackToDefaults()
    {
        SubscriptionOptions.FromStored(new Dictionary<string, string> { ["pubsub#deliver"] = "sometimes" }).Should().Be(SubscriptionOptions.Default);
        SubscriptionOptions.FromStored(null).Should().Be(SubscriptionOptions.Default);
    }

    [Fact]
    public void ToForm_OffersDeliverAndShowValuesWithTheirChoices()
    {
        var element = SubscriptionOptions.Default.With(Submit(("pubsub#show-values", ["chat"]))).ToForm("form");
        var form = DataForm.Parse(element);
        var shows = element.Elements().Single(f => f.GetAttribute("var") == "pubsub#show-values");

        form.FormType.Should().Be(SubscriptionOptions.FormType);
        form.Value("pubsub#deliver").Should().Be("1");
        form.Find("pubsub#show-values")!.Type.Should().Be("list-multi");
        form.Values("pubsub#show-values").Should().Equal("chat");
        shows.Elements().Where(o => o.Name == "option").Select(o => o.Elements().Single().Text).Should().Equal("away", "chat", "dnd", "online", "xa");
        form.Fields.Select(f => f.Var).Should().NotContain(["pubsub#digest", "pubsub#subscription_type", "pubsub#subscription_depth"]);
    }
}
