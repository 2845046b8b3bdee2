//! Syntax: flow text → [`Ast`].
//!
//! Owns pest (nothing outside this module sees a `Pair`). Parsing never fails:
//! like flowchart.js, it accepts every text, and mistakes are found when the
//! statements are executed (`graph`) and checked (`check`).

pub mod ast;
pub(crate) mod js;
mod lower;
mod parse;
pub mod parser;
mod pieces;
mod statement;

pub use ast::{
    Annotation, Ast, Connection, Definition, Ignored, Key, LineStyle, Statement, StyleRef, Token,
};
pub(crate) use parse::each_statement_as;
pub use parse::{each_statement, max_statements, parse};
