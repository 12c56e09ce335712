"""`tessera changelog --asset A`: one asset's versions, newest first, each with when, by
whom and why it was published, the proposal behind it and what changed (rule ids); read
through the user's dbt profile (an export of the warehouse), or from --baseline DIR."""

from __future__ import annotations

import argparse

from .parser import EXIT_OK, write


def cmd_changelog(args: argparse.Namespace) -> int:
    from ..artifacts.documents import dump_json
    from ..render.changelog import changelog_markdown, changelog_text
    from ..state.history import changelog
    from . import baseline
    from .diff import find_asset

    if args.baseline:
        state = baseline.load_baseline(args.baseline, all_assets=True)
    else:
        target = baseline.state_target(args.project_dir, args.target)
        state = baseline.baseline_from_warehouse(args.project_dir, args.profiles_dir, target)
    published = state.state
    asset = find_asset(published.histories, args.asset, state.source)
    versions = changelog(published.histories[asset], published.publications.get(asset) or (),
                         published.proposals)
    if args.format == "json":
        write(dump_json({"asset": asset, "versions": versions}))
    elif args.format == "markdown":
        write(changelog_markdown(asset, versions))
    else:
        write(changelog_text(asset, versions))
    return EXIT_OK
