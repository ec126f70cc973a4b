from allauth.account.adapter import DefaultAccountAdapter


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """Organisers' accounts are made by an administrator (`pledgecard organisers add`), never by sign-up."""

    def is_open_for_signup(self, request):
        return False
