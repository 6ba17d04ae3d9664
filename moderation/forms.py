"""Forms of the moderation pages. They only read and check input; saving
goes through moderation.services, which decides and logs."""

from django import forms
from django.core.exceptions import ValidationError

from .models import DomainPolicy, Report, ScreeningRules

RULE_FIELDS = (
    "hold_all",
    "hold_first_time",
    "hold_new_servers",
    "new_server_days",
    "hold_link_only",
    "hold_mention_spam",
    "mention_limit",
    "flood_limit",
    "flood_minutes",
    "keywords",
)

# Clearer words than the model's, written for the settings page.
RULE_HELP = {
    "hold_all": "Every reply waits until you approve it. Use it for a while "
    "after a post goes viral.",
    "hold_first_time": "Hold replies from accounts that never liked, boosted, "
    "followed or replied before.",
    "hold_new_servers": "Hold replies from servers this instance first heard "
    "of recently: new spam servers appear every day.",
    "new_server_days": "A server first seen this many days ago or less counts as new.",
    "hold_link_only": "Hold replies that are only links, with no words of their own.",
    "hold_mention_spam": "Hold replies that mention many accounts at once.",
    "mention_limit": "Hold replies mentioning more accounts than this.",
    "flood_limit": "Replies beyond this many are held. 0 turns the limit off.",
    "flood_minutes": "The window they are counted in.",
    "keywords": "One word, phrase or pattern per line. Words match whole words "
    "whatever the case and however they are disguised (full-width or "
    "look-alike letters from other alphabets, hidden characters). Write "
    "<code>/pattern/</code> for a regular expression; a line starting with "
    "<code>#</code> is a comment.",
}
RULE_LABELS = {
    "new_server_days": "New means first seen within (days)",
    "mention_limit": "Most accounts a reply may mention",
    "flood_limit": "Most replies from one account",
    "flood_minutes": "… within (minutes)",
    "keywords": "Words and patterns that hold a reply",
}


class ScreeningRulesForm(forms.Form):
    """A creator's own screening rules, or the instance's defaults."""

    def __init__(self, *args, rules: ScreeningRules, **kwargs):
        initial = {name: getattr(rules, name) for name in RULE_FIELDS}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                ScreeningRules,
                fields=RULE_FIELDS,
                labels=RULE_LABELS,
                help_texts=RULE_HELP,
            )
        )
        keywords = self.fields["keywords"]
        keywords.widget.attrs.update(
            rows=8,
            spellcheck="false",
            placeholder="crypto giveaway\n/free\\s+followers/",
        )
        for name in (
            "new_server_days",
            "mention_limit",
            "flood_limit",
            "flood_minutes",
        ):
            self.fields[name].widget.attrs.update(inputmode="numeric")

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the service's refusal beside the fields it names."""
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error)


class DomainPolicyForm(forms.Form):
    domain = forms.CharField(
        label="Server",
        max_length=255,
        help_text="Its domain name, e.g. spam.example. A policy covers the "
        "server's subdomains too.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    severity = forms.ChoiceField(
        label="What happens",
        choices=[
            (DomainPolicy.Severity.BLOCK, "Block"),
            (DomainPolicy.Severity.SILENCE, "Silence"),
            (DomainPolicy.Severity.NOOP, "No restriction"),
        ],
        widget=forms.RadioSelect,
        initial=DomainPolicy.Severity.BLOCK,
    )
    reject_media = forms.BooleanField(
        label="Reject media",
        required=False,
        help_text="Replies from it are shown without their pictures and files.",
    )
    reject_reports = forms.BooleanField(
        label="Reject reports",
        required=False,
        help_text="Reports (Flags) sent from it are dropped.",
    )
    obfuscate = forms.BooleanField(
        label="Obfuscate the name in public lists",
        required=False,
        help_text="Kept in the export, as Mastodon does.",
    )
    public_reason = forms.CharField(
        label="Public reason",
        max_length=500,
        required=False,
        help_text="Exported with the list and may be shown to anyone.",
    )
    private_note = forms.CharField(
        label="Private note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only admins see it.",
    )

    SEVERITY_HELP = {
        DomainPolicy.Severity.BLOCK: "Refuse everything it sends. Its followers "
        "are removed, its replies hidden and nothing is delivered there.",
        DomainPolicy.Severity.SILENCE: "Hold every reply from it for review.",
        DomainPolicy.Severity.NOOP: "Only what is ticked below.",
    }

    def severity_options(self) -> list[tuple]:
        """(radio button, what it means) for each severity."""
        return [
            (choice, self.SEVERITY_HELP[choice.data["value"]])
            for choice in self["severity"]
        ]

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # The server is the policy's identity: a new name is a new policy.
            self.fields["domain"].disabled = True
            self.fields["domain"].help_text = ""


class DomainImportForm(forms.Form):
    file = forms.FileField(
        label="Domain-block list (CSV)",
        help_text="Mastodon's export (<code>#domain,#severity,#reject_media,"
        "#reject_reports,#public_comment,#obfuscate</code>) or a bare list of "
        "domains, one per line, which are blocked. At most 5 MB.",
    )
    update_existing = forms.BooleanField(
        label="Update servers that already have a policy",
        required=False,
        help_text="Off: servers with a policy are kept as they are (as Mastodon does).",
    )


class ReportResolveForm(forms.Form):
    action = forms.ChoiceField(label="What was done", widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was decided and why; kept in the report and the log.",
    )

    def __init__(self, *args, actions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = actions
        self.fields["action"].initial = Report.Action.NONE


class ReportFileForm(forms.Form):
    replies = forms.MultipleChoiceField(
        label="Replies to report",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one reply."},
    )
    comment = forms.CharField(
        label="What is wrong",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "data-count-max": 1000}),
        help_text="The admins read this; so do the other server's admins if "
        "you send them a copy.",
    )
    forward = forms.BooleanField(label="", required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], server: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replies"].choices = choices
        self.fields["forward"].label = f"Also send a copy to the admins of {server}"
        self.fields[
            "forward"
        ].help_text = (
            "Sent from this server, not from you: they do not learn who reported."
        )
