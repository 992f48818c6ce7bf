//! [`FileMailer`]: every message becomes a `.eml` file in a directory, which any mail
//! client opens. The demo's sender, and a safe default where no relay exists.

use std::path::PathBuf;

use coffer_app::jobs::notify::{Mail, Mailer};

use crate::message::render;

pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    /// Writes into `dir`, creating it when needed.
    pub fn new(dir: impl Into<PathBuf>) -> FileMailer {
        FileMailer { dir: dir.into() }
    }

    /// The file a message is written to: its instant and Message-ID, made safe for file names.
    pub fn file_name(mail: &Mail) -> String {
        let id: String =
            mail.message_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        format!("{}-{id}.eml", mail.at.0)
    }
}

impl Mailer for FileMailer {
    fn send(&self, mail: &Mail) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.dir.join(FileMailer::file_name(mail));
        // Written under a temporary name and renamed, so a reader never sees half a message.
        let partial = path.with_extension("eml.partial");
        std::fs::write(&partial, render(mail)).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        std::fs::rename(&partial, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}
