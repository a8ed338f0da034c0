"""Writing report files so that a folder always holds one run's files, whole.

A county bureau signs the reports of one run and an inspector relies on them, so a
reader must never find ``result.json`` of one run beside ``report.xlsx`` of another,
a half-written file, or a report written through a symbolic link to somewhere else.

- :func:`atomic_path` (and :func:`write_text`) write one file under a temporary name
  in the same folder and rename it into place (:func:`os.replace`): a reader sees the old file or the new
  one, never a part; a symlink at the target is replaced, never written through.
- :func:`output_folder` gives the renderers a fresh staging folder *inside* the output
  folder (so the final renames stay on one file system), then, holding an exclusive
  lock on ``.eduscore.lock`` in the output folder (``fcntl.flock`` where available),
  moves the run's files into place one rename each. Two runs into one folder publish
  one after the other, so the folder ends with one run's complete set of files.
  Rendering itself happens outside the lock, in parallel.
- Any :class:`OSError` (a file where a folder should be, no permission, a read-only
  disk) becomes an :class:`~eduscore.errors.OutputError` naming the path, in English
  and Chinese — bad output paths are the user's to fix, not a bug.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eduscore.errors import OutputError

LOCK_NAME = ".eduscore.lock"
STAGING_PREFIX = ".eduscore-staging-"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

try:  # POSIX; elsewhere runs are not serialised (documented in docs/validation.md)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def output_error(path: Path, exc: OSError, what: str = "write") -> OutputError:
    """A bilingual message for an OS error on ``path``: what went wrong and what to do."""
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        en, zh = "permission denied", "没有写入权限"
        fix_en, fix_zh = "choose a folder you may write to", "请换一个有写入权限的文件夹"
    elif code == errno.EROFS:
        en, zh = "the file system is read-only", "该位置只读"
        fix_en, fix_zh = "choose a writable folder", "请换一个可写的文件夹"
    elif code in (errno.ENOTDIR, errno.EEXIST) or isinstance(exc, FileExistsError | NotADirectoryError):
        en, zh = "a file is in the way of a folder", "路径中有同名文件挡住了文件夹"
        fix_en, fix_zh = "give a folder path, or move that file", "请给出文件夹路径,或移走该文件"
    elif code == errno.EISDIR or isinstance(exc, IsADirectoryError):
        en, zh = "a folder is in the way of a file", "路径中有同名文件夹挡住了文件"
        fix_en, fix_zh = "give a file path, or move that folder", "请给出文件路径,或移走该文件夹"
    elif code == errno.ENOSPC:
        en, zh = "the disk is full", "磁盘已满"
        fix_en, fix_zh = "free some space or choose another disk", "请清理空间或换一个磁盘"
    else:
        reason = exc.strerror or type(exc).__name__
        en, zh = reason, reason
        fix_en, fix_zh = "check the path", "请检查该路径"
    verb_en = "cannot write" if what == "write" else f"cannot {what}"
    verb_zh = "无法写入" if what == "write" else "无法创建"
    return OutputError(f"{path}: {verb_en}: {en}; {fix_en}", zh=f"{path}: {verb_zh}:{zh};{fix_zh}")


def close_workbook(book: Any, path: Path) -> None:
    """Close an xlsxwriter workbook (which writes it); its ``FileCreateError`` wraps the
    OS error, which becomes an :class:`OutputError` like any other."""
    from xlsxwriter.exceptions import FileCreateError

    try:
        book.close()
    except FileCreateError as exc:
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))
        raise output_error(path, cause) from None


def ensure_folder(folder: Path) -> Path:
    """Create ``folder`` (and its parents); an :class:`OutputError` when it cannot be one."""
    try:
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(errno.EEXIST, "exists", str(folder))
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(folder, exc, "create") from None
    return folder


def write_text(path: Path, text: str, *, named: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_path`; ``named``: a path
    the user named, see there).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_text(folder / "a.txt", "whole").read_text()
    'whole'
    """
    with atomic_path(path, named=named) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


@contextlib.contextmanager
def atomic_path(path: Path, *, named: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that wants a file name (xlsxwriter,
    Parquet); renamed to ``path`` when the block succeeds, removed otherwise.

    ``named``: the user named this very path (``--json FILE``, ``template -o FILE``). A
    link there is then followed, as any program writing to a named file does, and a
    target that is not a regular file — ``/dev/null``, a FIFO, ``/dev/stdout`` — is written
    into, never replaced (renaming over ``/dev/null`` as root would replace the device).
    Inside an output folder (``named`` false) a link is replaced, never followed."""
    if named:
        target = Path(os.path.realpath(path))
        mode = _lstat_mode(target)
        if mode is not None and not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise output_error(path, IsADirectoryError(errno.EISDIR, "is a directory", str(path)))
            yield target  # a device or pipe: written in place
            return
        path = target
    folder = ensure_folder(path.parent)
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        # O_EXCL | O_NOFOLLOW: a fresh file of our own, never an existing one or a link's
        # target; mode 0o666 so that the umask decides, as for any file the user writes.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666))
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        yield tmp
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise output_error(path, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (its ``.eduscore.lock``) for the block."""
    if fcntl is None:  # pragma: no cover - Windows: no advisory lock
        yield
        return
    lock = folder / LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(lock, flags, 0o644)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            lock.unlink()  # a symlink planted as the lock: replace it, never open its target
            fd = os.open(lock, flags, 0o644)
    except OSError as exc:
        raise output_error(lock, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def output_folder(folder: Path) -> Iterator[Path]:
    """A staging folder inside ``folder`` for one run's files; published on success.

    Write every file of the run into the yielded folder; when the block ends without
    an error, the files replace those in ``folder`` under the folder's lock (see the
    module). On an error nothing is published and the staging folder is removed.
    """
    ensure_folder(folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    except OSError as exc:
        raise output_error(folder, exc) from None
    try:
        yield staging
        with locked(folder):
            previous = read_manifest(folder)
            current = read_manifest(staging)
            _publish(staging, folder)
            if current:
                _retire(folder, previous, current)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


MANIFEST_NAME = ".eduscore-files.json"


def read_manifest(folder: Path) -> dict[str, list[str]]:
    """The files each output format wrote into ``folder`` last time (format → paths
    relative to the folder), as recorded in its manifest; empty when there is none or it
    cannot be read (then nothing is retired: only files known to be eduscore's are)."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(fmt): [p for p in paths if isinstance(p, str)]
        for fmt, paths in data.items()
        if isinstance(paths, list)
    }


def write_manifest(folder: Path, files: dict[str, list[str]]) -> None:
    (folder / MANIFEST_NAME).write_text(json.dumps(files, ensure_ascii=False, indent=1), encoding="utf-8")


def _retire(folder: Path, previous: dict[str, list[str]], current: dict[str, list[str]]) -> None:
    """Remove the files an earlier run wrote for a format that this run wrote again but
    that this run did not write (county pages of counties no longer in the data, Parquet
    parts of a result now small enough for one document): a stale page beside a fresh
    index would be read as this run's. Files of formats this run did not write stay, and
    so does everything eduscore did not write. The manifest then lists both."""
    root = folder.resolve()
    for fmt, paths in current.items():
        stale = set(previous.get(fmt, ())) - set(paths)
        for rel in sorted(stale):
            target = folder / rel
            try:
                if root not in target.resolve().parents:
                    continue  # a path leading out of the folder was not written by eduscore
                mode = target.lstat().st_mode
                if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                    target.unlink()
                    parent = target.parent
                    while parent != folder and not any(parent.iterdir()):
                        parent.rmdir()
                        parent = parent.parent
            except OSError:
                continue  # already gone, or not ours to remove: leave it
    merged = {fmt: paths for fmt, paths in previous.items() if fmt not in current} | current
    try:
        write_manifest(folder, merged)
    except OSError as exc:
        raise output_error(folder / MANIFEST_NAME, exc) from None


def published(path: Path, staging: Path, folder: Path) -> Path:
    """Where a path a renderer returned (inside ``staging``) lies after publishing."""
    try:
        return folder / path.relative_to(staging)
    except ValueError:  # a renderer that wrote elsewhere on its own
        return path


def _publish(staging: Path, folder: Path) -> None:
    """Move the staged tree into ``folder``: each file by one rename, which replaces a
    file or a symlink at the target and never follows one; a folder already there is
    merged into, a symlink in place of a folder is replaced by the staged folder."""
    for entry in sorted(os.scandir(staging), key=lambda e: e.name):
        target = folder / entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                mode = _lstat_mode(target)
                if mode is not None and stat.S_ISDIR(mode):
                    _publish(Path(entry.path), target)
                    continue
                if mode is not None and stat.S_ISLNK(mode):
                    target.unlink()
                os.replace(entry.path, target)
            else:
                os.replace(entry.path, target)
        except OSError as exc:
            raise output_error(target, exc) from None


def _lstat_mode(path: Path) -> int | None:
    try:
        return path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # absent, or under a file: not there
        return None
