//! Reading an input file: memory-mapped when it is a regular file, read
//! whole otherwise (standard input, pipes, or when mapping fails).

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

/// The bytes of an input, mapped or owned.
pub enum Input {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for Input {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(m) => m,
            Input::Owned(v) => v,
        }
    }
}

/// Maps `file` read-only.
///
/// This is the command's only `unsafe` code.
fn map(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives as long as the `Input` that
    // owns it. The one hazard is another process truncating or rewriting the
    // file while it is mapped (then reads may see changed bytes or fault);
    // the reader checks every frame's checksum before it uses the frame, so
    // changed bytes are reported as damage, and a concurrent truncation is
    // the same risk `cat` or `cp` take on a file being rewritten.
    let m = unsafe { memmap2::Mmap::map(file) }?;
    // Every command reads its input front to back: tell the kernel, for
    // read-ahead and fault-around. Measured on a 1 GB container (page cache
    // warm; scripts/cli-timing.sh): about 25% less system time in `verify`
    // than without advice; MAP_POPULATE did no better. An advice refused
    // is only a slower read.
    let _ = m.advise(memmap2::Advice::Sequential);
    Ok(m)
}

/// Reads `path` (`-` is standard input).
pub fn open(path: &Path) -> std::io::Result<Input> {
    open_at_most(path, u64::MAX)
}

/// Reads `path` (`-` is standard input) as [`open`] does, but what is read
/// rather than mapped (standard input, a pipe) only up to `max + 1` bytes:
/// an input longer than `max` comes back holding `max + 1` bytes, for the
/// caller to refuse without having read (or allocated) all of it.
pub fn open_at_most(path: &Path, max: u64) -> std::io::Result<Input> {
    if path.as_os_str() == "-" {
        return read_at_most(std::io::stdin().lock(), max).map(Input::Owned);
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    // Empty files cannot be mapped on every platform; they are tiny anyway.
    if meta.is_file() && meta.len() > 0 {
        if let Ok(m) = map(&file) {
            return Ok(Input::Mapped(m));
        }
    }
    read_at_most(file, max).map(Input::Owned)
}

/// Verifies the regular file at `path` (every check, as
/// `Reader::verify`), read in 64 KiB chunks into a [`koffer::read::Feed`]
/// with a progress bar: the outcome and the bytes read. `None` for standard
/// input, a file that is not regular, or one that cannot be read (the
/// caller's in-memory path reports that).
pub fn verify_chunked(
    path: &Path,
) -> Option<Result<(koffer::read::Summary, u64), koffer::read::FeedError>> {
    if path.as_os_str() == "-" {
        return None;
    }
    let mut file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut progress = crate::progress::Progress::new(meta.len(), "checking");
    let mut buf = vec![0u8; koffer::read::Feed::MAX_BUFFER];
    let mut feed = koffer::read::Feed::new(&mut buf);
    // Read straight into the feed's buffer (`spare`/`fill`: no copy), at
    // most 64 KiB at a time so that the kernel's copy stays in the cache.
    // Measured on a 100 MB container (page cache warm, CPU time): 4 MiB
    // chunks through `feed` 107-149 ms, 1 MiB 111-140, 128 KiB 99-133,
    // 64 KiB 57-84, 16-32 KiB 84-87; through the memory map
    // (MADV_SEQUENTIAL, every check on the mapped slice, no copy) 167-227
    // ms and 24,700 page faults.
    const READ: usize = 64 << 10;
    let mut scratch = [0u8; 4096];
    loop {
        let spare = feed.spare();
        let n = if spare.is_empty() {
            // One frame fills the buffer: `feed` reports it.
            match file.read(&mut scratch) {
                Ok(0) => break,
                Ok(n) => {
                    if let Err(e) = feed.feed(&scratch[..n]) {
                        return Some(Err(e));
                    }
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        } else {
            let len = spare.len().min(READ);
            match file.read(&mut spare[..len]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        };
        if let Err(e) = feed.fill(n) {
            return Some(Err(e));
        }
        progress.set(feed.fed());
    }
    let fed = feed.fed();
    Some(feed.finish().map(|s| (s, fed)))
}

/// The bytes of `r`, up to `max + 1` of them.
fn read_at_most(r: impl Read, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_input_is_read_only_past_its_limit() {
        let bytes = read_at_most(std::io::repeat(7), 1000).unwrap();
        assert_eq!(bytes.len(), 1001);
        let bytes = read_at_most(&[1u8, 2, 3][..], 1000).unwrap();
        assert_eq!(bytes, [1, 2, 3]);
        let bytes = read_at_most(&[1u8, 2, 3][..], 3).unwrap();
        assert_eq!(bytes, [1, 2, 3]);
    }
}
