//! Every recipe of the cookbook (`examples/cookbook.rs`) against Spark 4.3, batch by batch:
//! the batches run (no-data batches included), their input row counts, watermarks and output
//! rows (`golden/cookbook/`, written by `make_cookbook_golden.py`). Rows are compared as sets,
//! except where the recipe sorts them, where Spark's order is the answer.

use crate::common;

#[path = "../examples/cookbook.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's main is not run here, and its items are public for the example alone"
)]
mod recipes;

use std::path::Path;

use serde_json::Value;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/cookbook");

/// The golden run's input directories, with their files' modification times in name order.
fn inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for input in ["events", "mobile", "readings"] {
        common::copy_in_name_order(&Path::new(GOLDEN).join("input").join(input), &dir.path().join(input));
    }
    dir
}

/// One recipe's differences from Spark, empty when it matches.
fn differences(recipe: &recipes::Recipe, input: &Path) -> Vec<String> {
    let name = recipe.name;
    let golden = common::golden_json(GOLDEN, &format!("expected/{name}.json"));
    let ordered = golden["spark"].as_str().unwrap().contains("orderBy");
    let columns: Vec<&str> = golden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let batches = match (recipe.run)(input) {
        Ok(batches) => batches,
        Err(error) => return vec![format!("{name}: failed: {error}")],
    };
    let spark_batches = golden["batches"].as_array().unwrap();
    let mut found = Vec::new();
    if batches.len() != spark_batches.len() {
        found.push(format!(
            "{name}: {} batches, Spark ran {}",
            batches.len(),
            spark_batches.len()
        ));
    }
    for (ours, spark) in batches.iter().zip(spark_batches) {
        let batch = ours.batch_id;
        if spark["batch_id"] != batch {
            found.push(format!("{name}: batch {batch} where Spark has {}", spark["batch_id"]));
        }
        if spark["num_input_rows"] != ours.num_input_rows {
            found.push(format!(
                "{name} batch {batch}: {} input rows, Spark {}",
                ours.num_input_rows, spark["num_input_rows"]
            ));
        }
        if spark["watermark"] != ours.watermark.as_ref().map_or(Value::Null, |w| Value::from(w.as_str())) {
            found.push(format!(
                "{name} batch {batch}: watermark {:?}, Spark {}",
                ours.watermark, spark["watermark"]
            ));
        }
        let rows: Vec<Value> = common::golden_objects(&ours.rows)
            .into_iter()
            .map(|mut object| {
                // Spark's session_window struct was flattened as `window_*` too.
                for field in ["start", "end"] {
                    if let Some(value) = object.remove(&format!("session_window_{field}")) {
                        object.insert(format!("window_{field}"), value);
                    }
                }
                Value::Array(
                    columns
                        .iter()
                        .map(|c| object.get(*c).cloned().unwrap_or(Value::from("<missing>")))
                        .collect(),
                )
            })
            .collect();
        let spark_rows = spark["rows"].as_array().unwrap().clone();
        let (rows, spark_rows) = if ordered {
            (rows, spark_rows)
        } else {
            (common::sorted(rows), common::sorted(spark_rows))
        };
        if rows != spark_rows {
            found.push(format!(
                "{name} batch {batch}: rows\n  Rill  {}\n  Spark {}",
                Value::Array(rows),
                Value::Array(spark_rows)
            ));
        }
    }
    found
}

#[test]
fn every_recipe_matches_spark() {
    let input = inputs();
    let expected = std::fs::read_dir(Path::new(GOLDEN).join("expected")).unwrap().count();
    assert_eq!(recipes::RECIPES.len(), expected, "a recipe for every golden file");
    assert!(recipes::RECIPES.len() >= 25);
    let found: Vec<String> = recipes::RECIPES
        .iter()
        .flat_map(|recipe| differences(recipe, input.path()))
        .collect();
    assert!(
        found.is_empty(),
        "{} differences from Spark:\n{}",
        found.len(),
        found.join("\n")
    );
}
