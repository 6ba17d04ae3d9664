"""Forms of the Security page and the log-in's second step."""

from django import forms


class TwoFactorCodeForm(forms.Form):
    """Six digits from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        help_text="The 6-digit code your authenticator app shows, or one of "
        "your recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
                "class": "code-input",
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    """The first code from a newly added authenticator app."""

    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        strip=True,
        help_text="Six digits. A new one shows every 30 seconds.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "class": "code-input",
            }
        ),
    )
