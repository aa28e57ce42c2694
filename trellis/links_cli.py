"""``trellis link issue`` and ``trellis link revoke``: signed links from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from trellis.cli_text import cli_translator
from trellis.platform.config import config_from_env

# Commands import what they use when they run, so that ``trellis --help`` stays fast.

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_link_issue(args: argparse.Namespace) -> None:
    """Issue a link; its id, expiry, and (last line) its path ``/p/{tenant}/s/{token}``."""
    from trellis.platform.public import SignedLinks
    from trellis.platform.records.errors import RecordError
    from trellis.platform.runtime import Runtime

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        runtime.tenant(args.tenant)
        issued = SignedLinks(runtime).issue(
            args.tenant, args.link, args.record_id, days=args.expires_days
        )
    except RecordError as exc:
        raise ValueError(exc.message) from None
    finally:
        runtime.close()
    answer = issued.as_json(args.tenant)
    t = cli_translator()
    _out(
        t.gettext(
            "link %(id)s (%(link)s) for %(entity)s %(record)s",
            id=answer["id"],
            link=answer["link"],
            entity=answer["entity"],
            record=answer["record_id"],
        )
    )
    once = t.gettext(" (single use)") if issued.single_use else ""
    _out(t.gettext("expires %(when)s%(once)s", when=answer["expires_at"], once=once))
    _out(answer["path"])


def cmd_link_revoke(args: argparse.Namespace) -> None:
    """Revoke link ``ID`` of a tenant."""
    from trellis.platform.public import SignedLinks
    from trellis.platform.records.errors import RecordError
    from trellis.platform.runtime import Runtime

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        runtime.tenant(args.tenant)
        SignedLinks(runtime).revoke(args.tenant, args.link_id)
    except RecordError as exc:
        raise ValueError(exc.message) from None
    finally:
        runtime.close()
    _out(cli_translator().gettext("Link %(id)s revoked.", id=args.link_id))


def add_link_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """Add ``link issue`` and ``link revoke``."""
    link = sub.add_parser("link", help="signed links").add_subparsers(
        dest="link_command", required=True
    )
    issue = with_data_dir(link.add_parser("issue", help="issue a signed link for a record"))
    issue.add_argument("tenant", help="the tenant's name")
    issue.add_argument("link", help="the kind of link: links/<name>.yaml of the package")
    issue.add_argument("record_id", type=int, help="id of the record the link is for")
    issue.add_argument(
        "--expires-days", type=int, default=None, help="lifetime in days (default: the kind's)"
    )
    issue.set_defaults(func=cmd_link_issue)
    revoke = with_data_dir(link.add_parser("revoke", help="revoke a signed link"))
    revoke.add_argument("tenant", help="the tenant's name")
    revoke.add_argument("link_id", type=int, help="the link's id (printed by link issue)")
    revoke.set_defaults(func=cmd_link_revoke)


__all__ = ["add_link_commands"]
