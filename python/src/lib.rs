//! `koffer._koffer`: the Rust side of the `koffer` Python package (spec
//! `arrow.md` §8). Record batches cross to pyarrow through the Arrow C
//! stream interface (no Python object per value); every entry point catches
//! panics, so none crosses into Python: it is raised as `koffer.KofferError`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_pyarrow::{PyArrowType, Table};
use arrow_schema::{ArrowError, SchemaRef};
use koffer_arrow::{Batches, Container, Options};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

pyo3::create_exception!(_koffer, KofferError, PyValueError);

/// Runs `f`, turning a panic into a `KofferError`.
fn guard<T>(what: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(KofferError::new_err(format!(
                "internal error in {what} (a bug in koffer, please report it): {msg}"
            )))
        }
    }
}

fn open(data: &[u8]) -> PyResult<Container<'_>> {
    Container::open(data).map_err(|e| KofferError::new_err(e.to_string()))
}

/// What `koffer.open` shows: status, problem, metadata entries and record
/// types with their fields, as JSON text.
#[pyfunction]
fn describe(data: &[u8]) -> PyResult<String> {
    guard("describe", || {
        let c = open(data)?;
        let scan = c.scan();
        let report = koffer_export::report(scan, "");
        let types: Vec<serde_json::Value> = c
            .record_types()
            .into_iter()
            .zip(&scan.schemas)
            .map(|(t, s)| {
                let layout = koffer_export::layout::layout(s.definition);
                let columns = koffer_export::columns(s);
                serde_json::json!({
                    "record_type": t.record_type,
                    "name": t.name,
                    "version": t.version,
                    "fingerprint": t.fingerprint,
                    "type": layout.as_ref().map(|l| l.ty.clone()),
                    "fields": layout.map(|l| l.fields).unwrap_or_default(),
                    "columns": columns,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "status": c.status().word(),
            "problem": scan.problem().map(|p| p.message),
            "metadata": report.map(|r| r.metadata).unwrap_or_default(),
            "record_types": types,
        });
        Ok(doc.to_string())
    })
}

type OwnedBatches<'a> = Batches<'a>;

self_cell::self_cell!(
    /// A file's bytes and the batches read from them.
    struct Stream {
        owner: Vec<u8>,
        #[covariant]
        dependent: OwnedBatches,
    }
);

/// A record type's batches, lazily, for `pyarrow.RecordBatchReader`.
struct Reader {
    stream: Stream,
    schema: SchemaRef,
}

impl Iterator for Reader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = catch_unwind(AssertUnwindSafe(|| {
            self.stream.with_dependent_mut(|_, b| b.next())
        }));
        match r {
            Ok(next) => next.map(|b| b.map_err(|e| ArrowError::ExternalError(Box::new(e)))),
            Err(_) => Some(Err(ArrowError::ComputeError(
                "internal error in koffer (a bug, please report it)".into(),
            ))),
        }
    }
}

impl RecordBatchReader for Reader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A record type's records as a `pyarrow.RecordBatchReader` (streaming:
/// at most `batch_size` rows decoded at a time).
#[pyfunction]
#[pyo3(signature = (data, record_type, batch_size=65536, flatten=false, quantities=false))]
fn reader(
    data: Vec<u8>,
    record_type: u8,
    batch_size: usize,
    flatten: bool,
    quantities: bool,
) -> PyResult<PyArrowType<Box<dyn RecordBatchReader + Send>>> {
    guard("reader", || {
        let options = Options {
            batch_size: batch_size.max(1),
            flatten,
            quantities,
        };
        let stream = Stream::try_new(data, |bytes| {
            let c = Container::open(bytes).map_err(|e| e.to_string())?;
            c.batches(record_type, options).map_err(|e| e.to_string())
        })
        .map_err(KofferError::new_err)?;
        let schema = stream.borrow_dependent().schema();
        let r: Box<dyn RecordBatchReader + Send> = Box::new(Reader { stream, schema });
        Ok(PyArrowType(r))
    })
}

/// A metadata value from Python: bool, int, float, str or bytes.
enum Meta {
    Bool(bool),
    Uint(u64),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
}

fn meta_value(v: &Bound<'_, PyAny>) -> PyResult<Meta> {
    Ok(if v.is_instance_of::<PyBool>() {
        Meta::Bool(v.extract()?)
    } else if v.is_instance_of::<PyInt>() {
        match v.extract::<u64>() {
            Ok(u) => Meta::Uint(u),
            Err(_) => Meta::Int(v.extract()?),
        }
    } else if v.is_instance_of::<PyFloat>() {
        Meta::Float(v.extract()?)
    } else if v.is_instance_of::<PyString>() {
        Meta::Str(v.extract()?)
    } else if v.is_instance_of::<PyBytes>() {
        Meta::Bytes(v.extract()?)
    } else {
        return Err(KofferError::new_err(
            "metadata values are bool, int, float, str or bytes",
        ));
    })
}

/// The bytes of a container of `tables` (`(name, table)` pairs, a record
/// type each) with `metadata` (`(key, value)` pairs).
#[pyfunction]
fn write<'py>(
    py: Python<'py>,
    tables: Vec<(String, PyArrowType<Table>)>,
    metadata: Vec<(String, Bound<'py, PyAny>)>,
) -> PyResult<Bound<'py, PyBytes>> {
    guard("write", || {
        let mut meta = Vec::new();
        for (k, v) in &metadata {
            meta.push((k.clone(), meta_value(v)?));
        }
        let entries: Vec<koffer::meta::Entry<'_>> = meta
            .iter()
            .map(|(k, v)| {
                use koffer::meta::Value as V;
                let expected = koffer::meta::key::expected_type(k);
                let value = match v {
                    // A well-known time key takes Unix milliseconds.
                    Meta::Int(i) if expected == Some(koffer::meta::value_type::TIME) => V::Time(*i),
                    Meta::Uint(u)
                        if expected == Some(koffer::meta::value_type::TIME)
                            && i64::try_from(*u).is_ok() =>
                    {
                        V::Time(*u as i64)
                    }
                    Meta::Uint(u) if expected == Some(koffer::meta::value_type::INT) => {
                        V::Int(i64::try_from(*u).unwrap_or(i64::MAX))
                    }
                    Meta::Bool(b) => V::Bool(*b),
                    Meta::Uint(u) => V::Uint(*u),
                    Meta::Int(i) => V::Int(*i),
                    Meta::Float(f) => V::Float(*f),
                    Meta::Str(s) => V::Str(s),
                    Meta::Bytes(b) => V::Bytes(b),
                };
                koffer::meta::Entry::new(k, value)
            })
            .collect();
        for e in &entries {
            e.validate()
                .map_err(|err| KofferError::new_err(format!("metadata {:?}: {err:?}", e.key)))?;
        }
        let owned: Vec<(String, Table)> = tables.into_iter().map(|(n, t)| (n, t.0)).collect();
        let specs: Vec<(String, SchemaRef, Vec<RecordBatch>)> = owned
            .into_iter()
            .map(|(n, t)| {
                let (batches, schema) = t.into_inner();
                (n, schema, batches)
            })
            .collect();
        let bytes = py
            .detach(|| {
                let tables: Vec<koffer_arrow::from_arrow::Table<'_>> = specs
                    .iter()
                    .map(|(n, s, b)| koffer_arrow::from_arrow::Table {
                        name: n,
                        schema: s,
                        batches: b,
                    })
                    .collect();
                koffer_arrow::from_arrow::write_container(&tables, &entries)
            })
            .map_err(|e| KofferError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &bytes))
    })
}

/// The `koffer._koffer` module.
#[pymodule]
fn _koffer(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("KofferError", m.py().get_type::<KofferError>())?;
    m.add_function(wrap_pyfunction!(describe, m)?)?;
    m.add_function(wrap_pyfunction!(reader, m)?)?;
    m.add_function(wrap_pyfunction!(write, m)?)?;
    Ok(())
}
