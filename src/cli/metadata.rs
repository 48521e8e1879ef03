//! `metadata list|get|put|rm` in radosgw-admin's positional form (`metadata get user:alice`):
//! each the op and the request the HTTP API parses for `/admin/metadata[/<section>]`.

use std::io::Read;
use std::path::PathBuf;

use clap::Subcommand;

use crate::ops::metadata::{DeleteReq, GetReq, ListReq, PutReq};
use crate::ops::{AdminOp, Request};

#[derive(Subcommand, Debug)]
pub enum MetadataCmd {
    /// The sections, or one section's keys (`GET /admin/metadata[/<section>]`).
    List {
        section: Option<String>,
        /// One page of at most this many keys, with `truncated` and `marker`.
        #[arg(long)]
        max_entries: Option<u32>,
        /// Where the page starts: the `marker` of the previous page.
        #[arg(long)]
        marker: Option<String>,
    },
    /// One entry, named `<section>:<key>` (`GET /admin/metadata/<section>?key=`).
    Get { key: String },
    /// Store an entry from --infile, or from standard input (`PUT /admin/metadata/<section>`).
    Put {
        key: String,
        #[arg(long)]
        infile: Option<PathBuf>,
    },
    /// Remove an entry (`DELETE /admin/metadata/<section>?key=`).
    Rm { key: String },
}

/// `user:alice` → (`user`, `alice`); `bucket.instance:b:id` → (`bucket.instance`, `b:id`).
fn split(key: &str) -> (Option<String>, Option<String>) {
    match key.split_once(':') {
        Some((s, k)) => (Some(s.to_string()), Some(k.to_string())),
        None => (None, Some(key.to_string())),
    }
}

/// The op and its request; `put` reads its document here, so a file that cannot be read is
/// reported before the store is touched.
pub fn request(c: &MetadataCmd) -> Result<(AdminOp, Request), String> {
    Ok(match c {
        MetadataCmd::List {
            section,
            max_entries,
            marker,
        } => (
            AdminOp::MetadataList,
            Request::MetadataList(ListReq {
                section: section.clone(),
                max_entries: max_entries.map(|n| n.to_string()),
                marker: marker.clone(),
            }),
        ),
        // The op splits `section:key` itself when no section is given, as for
        // `GET /admin/metadata?key=user:alice`.
        MetadataCmd::Get { key } => (
            AdminOp::MetadataGet,
            Request::MetadataGet(GetReq {
                section: None,
                key: Some(key.clone()),
                myself: false,
            }),
        ),
        MetadataCmd::Put { key, infile } => {
            let mut body = Vec::new();
            let read = match infile {
                Some(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut body)),
                None => std::io::stdin().read_to_end(&mut body),
            };
            read.map_err(|e| {
                let from = infile
                    .as_ref()
                    .map_or("standard input".into(), |p| p.display().to_string());
                format!("cannot read {from}: {e}")
            })?;
            let (section, key) = split(key);
            (
                AdminOp::MetadataPut,
                Request::MetadataPut(PutReq {
                    section,
                    key,
                    update_type: None,
                    body: body.into(),
                }),
            )
        }
        MetadataCmd::Rm { key } => {
            let (section, key) = split(key);
            (
                AdminOp::MetadataDelete,
                Request::MetadataDelete(DeleteReq { section, key }),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_the_first_colon() {
        assert_eq!(
            split("bucket.instance:b:id"),
            (Some("bucket.instance".into()), Some("b:id".into()))
        );
        assert_eq!(split("user"), (None, Some("user".into())));
    }
}
