//! Streams the files under the command line's paths through one worker per core: a walker
//! thread feeds a bounded channel, so memory holds a few files at a time whatever the tree's
//! size. A panic while checking a file is caught and reported with the file's name.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Mutex, PoisonError};

use crate::vfs::{self, WalkEvent};

/// What one pass over the paths yields, in the order of the walk for each worker.
pub(super) enum Event<R> {
    /// A file and what `work` made of it.
    Done(PathBuf, R),
    /// `work` panicked on this file (or the walk did under this path).
    Failed(PathBuf, String),
    /// A path named on the command line that cannot be examined.
    Missing(PathBuf, std::io::Error),
    /// Something the walk did not enter (symlink loop, directory seen before).
    Warning(PathBuf, String),
}

enum Found {
    File(PathBuf),
    Missing(PathBuf, std::io::Error),
    Warning(PathBuf, String),
}

/// Paths named on the command line are checked whatever their name (the reader refuses
/// special files); directories are walked for manifests.
/// Which walked files to leave out.
pub(super) type Excluded<'a> = &'a (dyn Fn(&Path) -> bool + Sync);

/// `excluded` leaves out walked files (the project file's `exclude`), not named ones.
fn sources(paths: &[PathBuf], excluded: &dyn Fn(&Path) -> bool, mut f: impl FnMut(Found)) {
    for p in paths {
        match std::fs::metadata(p) {
            Err(e) => f(Found::Missing(p.clone(), e)),
            Ok(m) if m.is_dir() => vfs::walk(p, |e| match e {
                WalkEvent::File(file) if excluded(&file) => {}
                WalkEvent::File(file) => f(Found::File(file)),
                WalkEvent::Warning { path, message } => f(Found::Warning(path, message)),
            }),
            Ok(_) => f(Found::File(p.clone())),
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".into())
}

/// How many files wait in the channel per worker: enough to keep every core busy.
const QUEUE_PER_WORKER: usize = 2;

/// Runs `work` on every file under `paths` on every core and hands each [`Event`] to
/// `on_event` on the calling thread as it comes.
pub(super) fn for_each_file<R: Send>(
    paths: &[PathBuf],
    excluded: Excluded,
    work: impl Fn(&Path) -> R + Sync,
    mut on_event: impl FnMut(Event<R>),
) {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (file_tx, file_rx) = sync_channel::<PathBuf>(workers * QUEUE_PER_WORKER);
    let file_rx = Mutex::new(file_rx);
    let (event_tx, event_rx) = channel::<Event<R>>();
    std::thread::scope(|s| {
        let walker_events = event_tx.clone();
        s.spawn(move || {
            let events = walker_events.clone();
            let walked = catch_unwind(AssertUnwindSafe(|| {
                sources(paths, excluded, |found| {
                    let event = match found {
                        // Fails only when every worker is gone; their events say why.
                        Found::File(f) => {
                            let _ = file_tx.send(f);
                            return;
                        }
                        Found::Missing(p, e) => Event::Missing(p, e),
                        Found::Warning(p, m) => Event::Warning(p, m),
                    };
                    let _ = events.send(event);
                })
            }));
            if let Err(payload) = walked {
                let root = paths.first().cloned().unwrap_or_default();
                let _ =
                    walker_events.send(Event::Failed(root, format!("walking failed: {}", panic_message(&*payload))));
            }
        });
        for _ in 0..workers {
            let (events, file_rx, work) = (event_tx.clone(), &file_rx, &work);
            s.spawn(move || {
                loop {
                    let next = file_rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(path) = next else { break };
                    let event = match catch_unwind(AssertUnwindSafe(|| work(&path))) {
                        Ok(r) => Event::Done(path, r),
                        Err(payload) => {
                            let message = panic_message(&*payload);
                            Event::Failed(path, message)
                        }
                    };
                    if events.send(event).is_err() {
                        break;
                    }
                }
            });
        }
        drop(event_tx);
        for event in event_rx {
            on_event(event);
        }
    });
}
