//! `GET /admin/info` (Quincy+): the storage backends behind the gateway.

use crate::domain::App;
use crate::encode::{Doc, Node, ObjBuilder};
use crate::error::Result;
use crate::ops::Reply;

pub fn get(app: &App) -> Result<Reply> {
    let backend = ObjBuilder::new()
        .str("name", "rados")
        .str("cluster_id", app.cluster_id.as_str())
        .build();
    let info = ObjBuilder::new()
        .node("storage_backends", Node::Arr("dummy".into(), vec![backend]))
        .build();
    Ok(Reply::Doc(Doc::new(
        "dummy",
        ObjBuilder::new().node("info", info).build(),
    )))
}
