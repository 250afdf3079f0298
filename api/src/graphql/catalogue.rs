//! `Query.errorCodes`: the catalogue of error codes, published in the schema.
//!
//! An enum that no field returns is left out of the schema, so this field is what puts
//! [`ErrorCode`] (with a description per code) into `schema.graphql` and introspection,
//! where code generators find it.

use async_graphql::Object;

use crate::error_code::ErrorCode;

/// The catalogue query.
#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// Every `extensions.code` an error from this API may carry, in the catalogue's
    /// order; each value's description says when it is raised.
    async fn error_codes(&self) -> Vec<ErrorCode> {
        ErrorCode::all().to_vec()
    }
}
