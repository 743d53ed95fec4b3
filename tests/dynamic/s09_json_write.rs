//! Spec `schema.md` §9, writing: a failing writer's error comes back; JSON
//! lines written one record at a time through a buffer. (The text of every
//! type is checked by `s02_types`, through the harness.)

use koffer::json;
use koffer::schema::Type;

use crate::types::*;

#[test]
fn json_write_errors() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = json::write_json(node!(Type::U8), &[1], &mut Broken).unwrap_err();
    assert!(matches!(e, json::Error::Io(_)));
    assert_eq!(e.to_string(), "writing JSON: disk full");
    // write_json over a BufWriter, as an NDJSON export does.
    let ty = node!(EV);
    let mut w = std::io::BufWriter::new(Vec::new());
    for ev in [Ev::A, Ev::B(2)] {
        json::write_json(ty, &postcard::to_allocvec(&ev).unwrap(), &mut w).unwrap();
        std::io::Write::write_all(&mut w, b"\n").unwrap();
    }
    assert_eq!(w.into_inner().unwrap(), b"\"A\"\n{\"B\":2}\n");
}
