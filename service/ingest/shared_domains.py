"""Domains many unrelated customers share, which therefore never identify an account.

Free-mail providers (a plumber and a bakery both on ``gmail.com``) and shared hosting (``*.herokuapp.com``
sites, the host's own domain) say nothing about which company a record is. Accounts with such a domain
keep their own identity (their source's id); a record that names its account only by such a domain waits
as unmatched. ``CSHUB_SHARED_DOMAINS`` adds to this list; it never removes from it.
"""

from collections.abc import Iterable

from service.accounts.web_domains import normalize_domain

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "tutanota.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "freenet.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "mail.com",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "rambler.ru",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "rediffmail.com",
        "comcast.net",
        "verizon.net",
        "att.net",
    }
)
SHARED_HOSTING = frozenset(
    {
        "herokuapp.com",
        "github.io",
        "gitlab.io",
        "netlify.app",
        "vercel.app",
        "pages.dev",
        "web.app",
        "firebaseapp.com",
        "appspot.com",
        "azurewebsites.net",
        "cloudfront.net",
        "amazonaws.com",
        "blogspot.com",
        "wordpress.com",
        "wixsite.com",
        "squarespace.com",
        "weebly.com",
        "myshopify.com",
        "godaddysites.com",
        "sites.google.com",
        "notion.site",
        "carrd.co",
    }
)
SHARED_DOMAINS = FREE_MAIL | SHARED_HOSTING


def shared_domains(extra: Iterable[str] = ()) -> frozenset[str]:
    """The built-in list plus ``extra`` (normalised like any domain a record sends)."""
    return SHARED_DOMAINS | {normalize_domain(domain) for domain in extra}
