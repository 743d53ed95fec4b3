//! Spec `schema.md` §3: fields and annotations — a nested record with
//! annotated fields, and the annotations a visitor sees.

use koffer::dynamic::{self, Visitor};
use koffer::schema::FieldRef;
use proptest::prelude::*;
use serde_bytes::ByteBuf;

use crate::harness::*;
use crate::types::*;

#[test]
fn nested_annotated_record() {
    let ty = node!(LOG);
    let log = Log {
        at_ms: 1_700_000_000_000,
        events: vec![Ev::A, Ev::D { x: 3, y: Some(4) }, Ev::F(Some(()))],
        temp: -1234,
        colls: None,
        floats: Floats { x: 0.5, y: 1e-300 },
        text: Text {
            c: 'k',
            s: "ok".into(),
            b: ByteBuf::from(vec![0xFF]),
        },
        ints: Ints {
            a: 1,
            b: 2,
            c: 3,
            d: 4,
            e: 5,
            f: -6,
            g: -7,
            h: -8,
            i: -9,
            j: -10,
        },
    };
    assert_eq!(
        check_value(ty, &log),
        concat!(
            r#"{"at_ms":1700000000000,"events":["A",{"D":{"x":3,"y":4}},{"F":[null]}],"temp":-1234,"colls":null,"#,
            r#""floats":{"x":0.5,"y":1e-300},"text":{"c":"k","s":"ok","b":"ff"},"#,
            r#""ints":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":-6,"g":-7,"h":-8,"i":-9,"j":-10}}"#
        )
    );

    // The visitor sees each field's annotations.
    struct Annotated(Vec<String>);
    impl<'a> Visitor<'a> for Annotated {
        type Error = dynamic::Error;
        fn field(&mut self, _: usize, field: &FieldRef<'a>) -> Result<(), dynamic::Error> {
            let a = field.annotations;
            if a.unit.is_some() || a.scale.is_some() {
                self.0.push(format!(
                    "{}:{:?}:{:?}:{:?}:{:?}:{:?}",
                    field.name, a.unit, a.description, a.scale, a.offset, a.time
                ));
            }
            Ok(())
        }
    }
    let payload = postcard::to_allocvec(&log).unwrap();
    let mut a = Annotated(Vec::new());
    dynamic::walk(ty, &payload, &mut a).unwrap();
    assert_eq!(
        a.0,
        [
            r#"at_ms:Some("ms"):None:None:None:Some("")"#,
            r#"temp:Some("Cel"):Some("skin temperature"):Some(0.01):Some(-40.0):None"#
        ]
    );
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn prop_log(v in any::<Log>()) {
        prop_value(node!(LOG), &v)?;
    }
}
