"""The administration commands of the ``ctkb`` CLI: check, backup, restore."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape


def register(app: typer.Typer, state, out, err) -> None:
    """Add the administration commands to ``app`` (``state.settings`` is set by the app's callback)."""

    def _print_findings(report) -> None:
        from kb.check import REPAIR_WORDS

        docs = len({f.doc_id for f in report.findings if f.doc_id})
        out.print(f"inconsistent: {len(report.findings)} finding(s) in {docs} document(s); "
                  f"{report.summary()}", highlight=False, soft_wrap=True)
        for f in report.findings:
            out.print(f"  ✗ {f.kind}: {escape(f.message)} (repair: {REPAIR_WORDS[f.repair]})",
                      highlight=False, soft_wrap=True)

    @app.command()
    def check(
        repair: bool = typer.Option(False, "--repair", help="Fix what is found, then say what to rerun."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Check the catalogue against the vector store (documents, points, provisions, runs)."""
        from kb import check as checking

        if not repair:
            report = checking.check(state.settings)
            if as_json:
                print(json.dumps(report.model_dump(), ensure_ascii=False, indent=1))
            elif report.consistent:
                out.print(f"consistent: {report.summary()}", highlight=False)
            else:
                _print_findings(report)
                out.print("run `ctkb check --repair` to fix them", highlight=False)
            raise SystemExit(0 if report.consistent else 1)  # typer.Exit's code is lost by kb.cli.main
        result = checking.repair(state.settings)
        left = [f for f in result.after.findings if f.repair != "index"]
        if as_json:
            print(json.dumps(result.model_dump(), ensure_ascii=False, indent=1))
            raise SystemExit(1 if left else 0)
        if result.before.consistent:
            out.print(f"consistent: {result.before.summary()}; nothing to repair", highlight=False)
            return
        for action in result.actions:
            out.print(f"repaired: {escape(action)}", highlight=False, soft_wrap=True)
        if result.after.consistent:
            out.print(f"consistent: {result.after.summary()}", highlight=False)
        elif left:
            _print_findings(result.after)
        if result.rerun:
            out.print("now run: " + ", then ".join(f"`{c}`" for c in result.rerun), highlight=False)
        raise SystemExit(1 if left else 0)

    @app.command()
    def backup(file: Path = typer.Argument(..., help="Archive to write (.tar.gz).")) -> None:
        """Write the whole knowledge base (catalogue, runs, reviews, vectors, uploads) to one archive."""
        from kb.backup import backup as do_backup

        manifest = do_backup(state.settings, file)
        counts = manifest["counts"]
        out.print(
            f"wrote {file}: {counts['documents']} documents, {counts['provisions']} provisions, "
            f"{counts['points']} points, {counts['runs']} runs, {counts['scores']} scores, "
            f"{counts['review_audit']} review changes, {len(manifest['members'])} files, "
            f"{file.stat().st_size / 1e6:.1f} MB", highlight=False, soft_wrap=True)
        out.print(f"checksum (sha256 of the member list): {manifest['checksum']}", highlight=False, soft_wrap=True)

    @app.command()
    def restore(
        file: Path = typer.Argument(..., help="Archive written by `ctkb backup`."),
        force: bool = typer.Option(False, "--force", help="Replace a home that is not empty."),
    ) -> None:
        """Restore a backup archive into the home (checksums verified first; the home must be empty)."""
        from kb.backup import restore as do_restore

        manifest = do_restore(state.settings, file, force=force)
        counts = manifest["counts"]
        out.print(
            f"restored {file} into {state.settings.home}: {counts['documents']} documents, "
            f"{counts['provisions']} provisions, {counts['points']} points, {counts['runs']} runs, "
            f"{counts['scores']} scores, {counts['review_audit']} review changes (backup of "
            f"{manifest['created_at']}, checksum {manifest['checksum'][:16]}… verified)",
            highlight=False, soft_wrap=True)
