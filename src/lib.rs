//! rgw-admin: a Ceph RADOS Gateway Admin Ops API compatible server on an embedded store.
//!
//! A request reads top to bottom: `http` (accept, parse once, respond) → `router` (the one
//! table) → `auth` (signatures) → `caps` → `ops::*` → `users` → `store`; `encode` renders.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod buckets;
pub mod caps;
pub mod cli;
pub mod clock;
pub mod config;
pub mod encode;
pub mod error;
pub mod http;
pub mod keys;
pub mod model;
pub mod objects;
pub mod ops;
pub mod query;
pub mod quota;
pub mod ratelimit;
pub mod router;
pub mod s3;
pub mod store;
pub mod swift;
pub mod usage;
pub mod users;
