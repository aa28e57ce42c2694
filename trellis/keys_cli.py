"""``trellis keys rotate TENANT``: a new data key for the tenant's encrypted fields.

See docs/privacy.md (encrypted fields).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def cmd_rotate(args: argparse.Namespace) -> None:
    """Rotate the data key of ``args.tenant`` and re-encrypt its values."""
    from trellis.platform.config import config_from_env
    from trellis.platform.privacy.keys import DataKeyError
    from trellis.platform.privacy.rotate import rotate_keys
    from trellis.platform.runtime import Runtime

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        done = rotate_keys(runtime, args.tenant, actor="cli")
    except DataKeyError as exc:
        raise ValueError(str(exc)) from None
    finally:
        runtime.close()
    sys.stdout.write(json.dumps(done.as_json(), indent=2) + "\n")


def add_keys_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``keys rotate``."""
    keys = sub.add_parser("keys", help="data keys of encrypted fields").add_subparsers(
        dest="keys_command", required=True
    )
    rotate = with_data_dir(keys.add_parser("rotate", help="new data key, values re-encrypted"))
    rotate.add_argument("tenant", help="the tenant's name")
    rotate.set_defaults(func=cmd_rotate)


__all__ = ["add_keys_commands"]
