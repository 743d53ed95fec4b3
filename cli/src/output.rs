//! Writing an output file so that nothing already written or valid is lost:
//! an output that is the input file is refused, and a regular file is
//! written to a temporary file in its directory and renamed over the target
//! only when everything was written.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Whether `a` and `b` name the same existing file (also through a hard or
/// symbolic link): same device and inode on Unix, same canonical path
/// elsewhere. `false` when either does not exist.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// The error for an output that is the input.
pub fn is_the_input(output: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{}: is the input file: refusing to overwrite it (write to another file)",
            output.display()
        ),
    )
}

/// A unique temporary path in `dir` for `name`.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.koffer-tmp-{}-{n}", std::process::id()))
}

/// An output file being written. A regular file (or a path that does not
/// exist yet) is written to a temporary file beside it, which
/// [`Output::commit`] renames over the target; dropped without a commit, the
/// temporary file is removed and the target is untouched. Anything else (a
/// device such as `/dev/null`, a pipe) is written in place.
pub struct Output {
    file: File,
    /// `(temporary, target)` when written through a temporary file.
    rename: Option<(PathBuf, PathBuf)>,
}

impl Output {
    /// Opens `target` for writing; refuses it when it is `input`.
    pub fn create(target: &Path, input: &Path) -> io::Result<Output> {
        if input.as_os_str() != "-" && same_file(target, input) {
            return Err(is_the_input(target));
        }
        // A symbolic link stays a link: the file it names is replaced.
        let target = match std::fs::canonicalize(target) {
            Ok(t) => t,
            Err(_) => target.to_path_buf(),
        };
        let existing = match std::fs::metadata(&target) {
            Ok(m) if !m.is_file() => {
                let file = OpenOptions::new().write(true).open(&target)?;
                return Ok(Output { file, rename: None });
            }
            // A rename would replace a read-only file that opening it for
            // writing would not.
            Ok(m) if m.permissions().readonly() => {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{}: the file is read-only", target.display()),
                ))
            }
            Ok(m) => Some(m.permissions()),
            Err(_) => None,
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let temp = temp_path(dir, &name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        // The replaced file's permissions carry over.
        if let Some(p) = existing {
            let _ = file.set_permissions(p);
        }
        Ok(Output {
            file,
            rename: Some((temp, target)),
        })
    }

    /// Whether the target is written in place (a device, a pipe): what is
    /// written reaches it before [`Output::commit`].
    pub fn in_place(&self) -> bool {
        self.rename.is_none()
    }

    /// Flushes the file to storage (a regular file; a device or pipe is
    /// only flushed).
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.in_place() {
            return Ok(());
        }
        self.file.sync_all()
    }

    /// Flushes the file and puts it in place of the target.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        if let Some((temp, target)) = self.rename.take() {
            if let Err(e) = std::fs::rename(&temp, &target) {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some((temp, _)) = self.rename.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}
