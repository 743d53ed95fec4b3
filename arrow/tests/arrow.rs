//! spec `arrow.md`: every record read into Arrow maps back to its payload
//! byte for byte (the values are exactly the container's), through record
//! batches, Parquet and Arrow IPC; bad payloads are skipped and counted;
//! damaged and arbitrary containers never panic.

use std::sync::Arc;

use arbitrary::Unstructured;
use arrow_array::{RecordBatch, StructArray};
use koffer::schema::{Definition, Kind, Node, VariantKind};
use koffer_arrow::{from_arrow, Container, Options};

fn sample() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../samples/wearable.koffer"
    ))
    .unwrap()
}

/// The rows of a batch as one struct array (the root struct's fields).
fn rows(b: &RecordBatch) -> StructArray {
    StructArray::from(b.clone())
}

/// Whether every value of `node` maps to Arrow and back exactly (spec
/// `arrow.md` §2.4: an option of a type that is itself null-able collapses).
fn lossless(node: Node<'_>) -> bool {
    fn nullish(n: Node<'_>) -> bool {
        match n.kind() {
            Kind::Option(_) | Kind::Unit | Kind::UnitStruct { .. } => true,
            Kind::NewtypeStruct { inner, .. } => nullish(inner),
            Kind::Struct { fields, .. } => fields.count() == 0,
            Kind::Tuple(e) | Kind::TupleStruct { elements: e, .. } => e.count() == 0,
            _ => false,
        }
    }
    match node.kind() {
        Kind::Option(inner) => !nullish(inner) && lossless(inner),
        Kind::NewtypeStruct { inner, .. } => lossless(inner),
        Kind::Seq(e) | Kind::Array { element: e, .. } => lossless(e),
        Kind::Map { key, value } => lossless(key) && lossless(value),
        Kind::Tuple(els) | Kind::TupleStruct { elements: els, .. } => els.clone().all(lossless),
        Kind::Struct { fields, .. } => {
            let names: Vec<&str> = fields.map(|f| f.name).collect();
            let mut d = names.clone();
            d.sort();
            d.dedup();
            d.len() == names.len() && fields.clone().all(|f| lossless(f.ty))
        }
        Kind::Enum { variants, .. } => {
            let names: Vec<&str> = variants.map(|v| v.name).collect();
            let mut d = names.clone();
            d.sort();
            d.dedup();
            d.len() == names.len()
                && !names.contains(&"variant")
                && variants.clone().all(|v| match v.kind {
                    VariantKind::Unit => true,
                    VariantKind::Newtype(t) => !nullish(t) && lossless(t),
                    VariantKind::Tuple(e) => e.clone().all(lossless),
                    VariantKind::Struct(fs) => {
                        let names: Vec<&str> = fs.map(|f| f.name).collect();
                        let mut d = names.clone();
                        d.sort();
                        d.dedup();
                        d.len() == names.len() && fs.clone().all(|f| lossless(f.ty))
                    }
                })
        }
        _ => true,
    }
}

/// The payloads of a record type that follow its definition, in order.
fn payloads(bytes: &[u8], record_type: u8, root: Option<Node<'_>>) -> Vec<Vec<u8>> {
    let r = koffer::read::Reader::new(bytes).unwrap();
    r.records()
        .map_while(Result::ok)
        .filter(|rec| rec.record_type == record_type)
        .filter(|rec| root.is_none_or(|n| koffer::dynamic::check(n, rec.payload).is_ok()))
        .map(|rec| rec.payload.to_vec())
        .collect()
}

/// Every type of `bytes`: its batches mapped back to payloads equal the
/// records' payloads. Returns the number of records compared.
fn round_trip(
    bytes: &[u8],
    options: Options,
    batches_of: &dyn Fn(&Container<'_>, u8) -> Vec<RecordBatch>,
) -> usize {
    let c = Container::open(bytes).unwrap();
    let mut n = 0;
    for t in c.record_types() {
        let schema = c
            .scan()
            .schemas
            .iter()
            .find(|s| s.record_type == t.record_type)
            .copied()
            .unwrap();
        let def = Definition::parse(schema.definition).unwrap();
        let root = def.root();
        let want = payloads(bytes, t.record_type, root);
        let batches = batches_of(&c, t.record_type);
        let got_rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(got_rows, want.len(), "type {}", t.name);
        let Some(root) = root else { continue };
        if !lossless(root) {
            continue;
        }
        let mut i = 0;
        for b in &batches {
            assert!(b.num_rows() <= options.batch_size);
            let rs = rows(b);
            for row in 0..b.num_rows() {
                let v = from_arrow::value(root, &rs, row)
                    .unwrap_or_else(|e| panic!("type {}: {e}", t.name));
                assert_eq!(
                    v.to_payload(root).unwrap(),
                    want[i],
                    "type {} record {i}",
                    t.name
                );
                i += 1;
                n += 1;
            }
        }
    }
    n
}

fn in_memory(c: &Container<'_>, t: u8, o: Options) -> Vec<RecordBatch> {
    c.batches(t, o).unwrap().map(|b| b.unwrap()).collect()
}

#[test]
fn record_batches_hold_exactly_the_payloads() {
    let o = Options {
        batch_size: 7,
        ..Default::default()
    };
    let n = round_trip(&sample(), o, &|c, t| in_memory(c, t, o));
    assert!(n > 100, "{n}");
}

#[test]
fn parquet_holds_exactly_the_payloads() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let o = Options {
        batch_size: 50,
        ..Default::default()
    };
    let n = round_trip(&sample(), o, &|c, t| {
        let mut out = Vec::new();
        koffer_arrow::write_parquet(c, t, o, &mut out).unwrap();
        let r = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(out))
            .unwrap()
            .with_batch_size(50)
            .build()
            .unwrap();
        r.map(|b| b.unwrap()).collect()
    });
    assert!(n > 100);
}

/// spec `arrow.md` §8: the files of `write_files` (decoded on one thread,
/// encoded on another) hold what `write_parquet` writes, and have the
/// layout of the table there: timestamps `DELTA_BINARY_PACKED`, floats
/// plain, neither with a dictionary.
#[test]
fn parquet_files_have_the_layout_of_section_8() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::{Encoding, LogicalType, Type};
    let bytes = sample();
    let c = Container::open(&bytes).unwrap();
    let o = Options {
        batch_size: 100,
        ..Default::default()
    };
    let dir = std::env::temp_dir().join(format!("koffer-arrow-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (names, outcome) =
        koffer_arrow::write_files(&c, koffer_arrow::FileFormat::Parquet, o, &mut |n| {
            std::fs::File::create(dir.join(&n.file_name))
        })
        .unwrap();
    assert_eq!(outcome.bad_records, 0);
    let (mut times, mut floats) = (0, 0);
    for n in &names {
        let file = bytes::Bytes::from(std::fs::read(dir.join(&n.file_name)).unwrap());
        let mut one = Vec::new();
        koffer_arrow::write_parquet(&c, n.record_type, o, &mut one).unwrap();
        let read = |b: bytes::Bytes| -> Vec<RecordBatch> {
            let r = ParquetRecordBatchReaderBuilder::try_new(b)
                .unwrap()
                .build()
                .unwrap();
            r.map(|b| b.unwrap()).collect()
        };
        // The same row groups, so the same batches.
        assert_eq!(read(file.clone()), read(bytes::Bytes::from(one)));
        let meta = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .metadata()
            .clone();
        for rg in meta.row_groups() {
            for col in rg.columns() {
                let d = col.column_descr();
                let encodings: Vec<Encoding> = col.encodings().collect();
                if matches!(d.logical_type_ref(), Some(LogicalType::Timestamp { .. })) {
                    assert!(
                        encodings.contains(&Encoding::DELTA_BINARY_PACKED),
                        "{}",
                        d.path()
                    );
                    assert!(!encodings.contains(&Encoding::RLE_DICTIONARY));
                    assert!(col.dictionary_page_offset().is_none());
                    times += 1;
                } else if matches!(d.physical_type(), Type::FLOAT | Type::DOUBLE) {
                    assert!(encodings.contains(&Encoding::PLAIN), "{}", d.path());
                    assert!(!encodings.contains(&Encoding::RLE_DICTIONARY));
                    assert!(col.dictionary_page_offset().is_none());
                    floats += 1;
                }
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(times >= 2 && floats >= 2, "{times} {floats}");
}

#[test]
fn arrow_ipc_holds_exactly_the_payloads() {
    let o = Options::default();
    let n = round_trip(&sample(), o, &|c, t| {
        let mut out = Vec::new();
        koffer_arrow::write_ipc(c, t, o, &mut out).unwrap();
        let r = arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(out), None).unwrap();
        r.map(|b| b.unwrap()).collect()
    });
    assert!(n > 100);
}

#[test]
fn field_and_schema_metadata() {
    let bytes = sample();
    let c = Container::open(&bytes).unwrap();
    let mut units = 0;
    for t in c.record_types() {
        let s = c.arrow_schema(t.record_type, Options::default()).unwrap();
        assert_eq!(s.metadata()["koffer.fingerprint"], t.fingerprint);
        assert_eq!(s.metadata()["koffer.name"], t.name);
        assert!(s.metadata()["koffer.metadata"].starts_with('['));
        units += s
            .fields()
            .iter()
            .filter(|f| f.metadata().contains_key("koffer.unit"))
            .count();
    }
    assert!(units > 0);
}

#[test]
fn unix_timestamps_are_arrow_timestamps_and_quantities_an_option() {
    use arrow_schema::DataType;
    let bytes = sample();
    let c = Container::open(&bytes).unwrap();
    let mut times = 0;
    let mut quantities = 0;
    for t in c.record_types() {
        let raw = c.arrow_schema(t.record_type, Options::default()).unwrap();
        let q = c
            .arrow_schema(
                t.record_type,
                Options {
                    quantities: true,
                    ..Default::default()
                },
            )
            .unwrap();
        for (f, g) in raw.fields().iter().zip(q.fields()) {
            if let DataType::Timestamp(_, tz) = f.data_type() {
                assert_eq!(tz.as_deref(), Some("UTC"));
                times += 1;
            }
            let scaled = f.metadata().contains_key("koffer.scale")
                || f.metadata().contains_key("koffer.offset");
            if scaled && !matches!(f.data_type(), DataType::Timestamp(..)) {
                assert_eq!(g.data_type(), &DataType::Float64);
                assert_eq!(g.metadata()["koffer.values"], "quantity");
                quantities += 1;
            } else {
                assert_eq!(f.data_type(), g.data_type());
            }
        }
    }
    eprintln!("{times} timestamp fields, {quantities} scaled fields");
}

#[test]
fn flattened_columns_are_the_csv_columns() {
    let bytes = sample();
    let c = Container::open(&bytes).unwrap();
    for (t, s) in c.record_types().iter().zip(&c.scan().schemas) {
        let o = Options {
            flatten: true,
            ..Default::default()
        };
        let schema = c.arrow_schema(t.record_type, o).unwrap();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let csv: Vec<String> = koffer_export::columns(s)
            .into_iter()
            .map(|c| c.path)
            .collect();
        assert_eq!(names, csv, "type {}", t.name);
        for b in c.batches(t.record_type, o).unwrap() {
            let b = b.unwrap();
            assert_eq!(b.num_columns(), csv.len());
        }
    }
}

#[test]
fn bad_payloads_are_skipped_and_counted() {
    use koffer::write::Writer;
    let def = koffer::definition!(<(u16, u8) as koffer::schema::Describe>::TYPE);
    let mut buf = [0u8; 256];
    let mut w = Writer::new(Vec::new(), &mut buf).unwrap();
    w.declare(0, "pair", 1, def).unwrap();
    let h = w.declared_raw(0).unwrap();
    w.write_payload(h, &[1, 2]).unwrap();
    w.write_payload(h, &[0xFF]).unwrap(); // truncated varint
    w.write_payload(h, &[3, 4, 5]).unwrap(); // a trailing byte
    w.write_payload(h, &[6, 7]).unwrap();
    let bytes = w.finish().unwrap();
    let c = Container::open(&bytes).unwrap();
    let mut b = c.batches(0, Options::default()).unwrap();
    let batch = b.next().unwrap().unwrap();
    assert_eq!(batch.num_rows(), 2);
    assert_eq!(b.bad_records(), 2);
    assert_eq!(b.first_bad_record().unwrap().0, 1);
    let outcome = koffer_arrow::write_parquet(&c, 0, Options::default(), Vec::new()).unwrap();
    assert_eq!(outcome.bad_records, 2);
    assert!(outcome.warning.unwrap().contains("record 1"));
}

#[test]
fn damaged_containers_give_their_intact_records() {
    let bytes = sample();
    let whole = Container::open(&bytes).unwrap();
    let total: usize = whole
        .record_types()
        .iter()
        .map(|t| {
            in_memory(&whole, t.record_type, Options::default())
                .iter()
                .map(|b| b.num_rows())
                .sum::<usize>()
        })
        .sum();
    for cut in [bytes.len() - 10, bytes.len() / 2, 200] {
        let c = Container::open(&bytes[..cut]).unwrap();
        assert_eq!(c.status().word(), "incomplete");
        let n: usize = c
            .record_types()
            .iter()
            .map(|t| {
                in_memory(&c, t.record_type, Options::default())
                    .iter()
                    .map(|b| b.num_rows())
                    .sum::<usize>()
            })
            .sum();
        assert!(n <= total);
        if cut <= bytes.len() / 2 {
            assert!(n < total);
        }
    }
    assert!(matches!(
        Container::open(b"not a container"),
        Err(koffer_arrow::Error::Unreadable(_))
    ));
}

#[test]
fn arbitrary_containers_convert_without_panics_and_exactly() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut exact = 0;
    for _ in 0..400 {
        let mut data = vec![0u8; 4096];
        for b in &mut data {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *b = seed as u8;
        }
        let mut u = Unstructured::new(&data);
        let Ok(c) = koffer_arbitrary::ArbitraryContainer::arbitrary_intact(&mut u) else {
            continue;
        };
        let o = Options {
            batch_size: 3,
            ..Default::default()
        };
        exact += round_trip(&c.bytes, o, &|c, t| in_memory(c, t, o));
        // Parquet and IPC take every schema too.
        if let Ok(cont) = Container::open(&c.bytes) {
            for t in cont.record_types() {
                let _ = koffer_arrow::write_parquet(&cont, t.record_type, o, Vec::new()).unwrap();
                let _ = koffer_arrow::write_ipc(&cont, t.record_type, o, Vec::new()).unwrap();
            }
        }
    }
    assert!(exact > 100, "{exact}");
}

#[test]
fn tables_from_arrow_get_a_definition() {
    let bytes = sample();
    let c = Container::open(&bytes).unwrap();
    let t = &c.record_types()[0];
    let schema = c.arrow_schema(t.record_type, Options::default()).unwrap();
    // A schema from koffer gives its definition back.
    let def = from_arrow::definition(&schema, &t.name).unwrap();
    assert_eq!(def, c.scan().schemas[0].definition);
    // Without it, one is derived from the Arrow types and field metadata.
    let plain = arrow_schema::Schema::new(schema.fields().clone());
    let derived = from_arrow::definition(&plain, &t.name).unwrap();
    assert!(Definition::parse(&derived).is_ok());
    let _ = Arc::new(plain);
}
