//! Query conditions: the operators of the query string, path filters and scopes.

use serde_json::Value;

/// A comparison operator of the query string (`field__op=value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `field=value`
    Eq,
    /// `field__ne=value`
    Ne,
    /// `field__in=["a","b"]`
    In,
    /// `field__notin=["a","b"]`
    NotIn,
    /// `field__startswith=pre`
    StartsWith,
    /// `field__contains=part`
    Contains,
    /// `field__notcontains=part`
    NotContains,
    /// `field__exists=true|false`
    Exists,
    /// `field__gt=v`
    Gt,
    /// `field__lt=v`
    Lt,
    /// `field__gte=v`
    Gte,
    /// `field__lte=v`
    Lte,
    /// `field__between=[low, high]`, inclusive.
    Between,
}

/// One condition on one field of an item.
///
/// `value` is already parsed for the operator: a list for `In`/`NotIn`, a two-element list for
/// `Between`, a bool for `Exists`, a number when the text parsed as one and the operator
/// compares (`Gt`..`Lte`, `Between`), otherwise a string.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field of the item.
    pub field: String,
    /// The operator.
    pub op: Op,
    /// The operand.
    pub value: Value,
}

/// What part of a resource a caller may see: `None` means everything; otherwise an item is
/// visible if it satisfies every condition of at least one branch (an OR of ANDs).
/// `Some(vec![])` means nothing is visible.
pub type Scope = Option<Vec<Vec<Condition>>>;
