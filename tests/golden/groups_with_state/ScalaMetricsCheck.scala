// The Scala flatMapGroupsWithState version of metrics_fn (make_groups_with_state_golden.py),
// to compare the Scala operator with PySpark's applyInPandasWithState where their state-write
// rules differ. make_groups_with_state_golden.py compiles it (scala-compiler from pyspark's jars)
// and runs it with spark-submit. Args: <input dir> <output dir> <checkpoint dir>. Writes
// <output dir>/rows-<batch>.json (the batch's rows as a JSON array) and progress.jsonl.
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Paths}
import java.sql.Timestamp

import org.apache.spark.sql.{Dataset, SparkSession}
import org.apache.spark.sql.streaming.{GroupState, GroupStateTimeout, OutputMode, Trigger}

case class Ev(user: String, event_time: Timestamp, amount: Long)
case class St(events: Long)
case class Tr(user: String, has_timed_out: Boolean, n_rows: Long, state_before: Option[Long],
              watermark_ms: Long, new_timeout_ms: Option[Long], action: String)

object ScalaMetricsCheck {
  val T12 = 1772366400000L    // 2026-03-01 12:00 UTC
  val T1230 = 1772368200000L  // 2026-03-01 12:30 UTC

  def metricsFn(user: String, rows: Iterator[Ev], state: GroupState[St]): Iterator[Tr] = {
    val n = rows.size.toLong
    val first = !state.exists
    val events = if (state.exists) state.get.events else 0L
    val before = if (state.exists) Some(events) else None
    val wm = state.getCurrentWatermarkMs()
    if (state.hasTimedOut) {
      val act = user match {
        case "a" => state.remove(); "remove"
        case "z" => state.update(St(events + 100)); "update"
        case _ => "nothing"
      }
      return Iterator(Tr(user, true, n, before, wm, None, "timeout:" + act))
    }
    var newTimeout: Option[Long] = None
    val act =
      if (user == "a" || user == "z" || (Set("c", "d", "g", "h", "k", "m")(user) && first)) {
        state.update(St(events + 1)); state.setTimeoutTimestamp(T12); newTimeout = Some(T12)
        "update+timeout"
      } else if (user == "b" || user == "y" || user == "m") {
        state.update(St(events + 1)); "update"
      } else if (user == "c") {
        state.setTimeoutTimestamp(T12); newTimeout = Some(T12); "timeout(same)"
      } else if (user == "h") {
        state.setTimeoutTimestamp(T1230); newTimeout = Some(T1230); "timeout(new)"
      } else if (user == "g" || user == "r") {
        state.remove(); "remove"
      } else "nothing"
    Iterator(Tr(user, false, n, before, wm, newTimeout, act))
  }

  def main(args: Array[String]): Unit = {
    val Array(input, outDir, checkpoint) = args
    val spark = SparkSession.builder().getOrCreate()
    spark.sparkContext.setLogLevel("OFF")
    import spark.implicits._
    Files.createDirectories(Paths.get(outDir))
    val m = spark.readStream.schema("user STRING, event_time TIMESTAMP, amount LONG")
      .option("maxFilesPerTrigger", 1).json(input)
      .withWatermark("event_time", "10 minutes").as[Ev]
    val q = m.groupByKey(_.user)
      .flatMapGroupsWithState(OutputMode.Append, GroupStateTimeout.EventTimeTimeout)(metricsFn _)
      .writeStream.outputMode("append").trigger(Trigger.AvailableNow())
      .option("checkpointLocation", checkpoint)
      .foreachBatch((ds: Dataset[Tr], id: Long) => {
        val rows = ds.toJSON.collect().mkString("[", ",", "]")
        Files.write(Paths.get(outDir, s"rows-$id.json"), rows.getBytes(StandardCharsets.UTF_8))
        ()
      })
      .start()
    q.awaitTermination()
    Files.write(Paths.get(outDir, "progress.jsonl"),
      q.recentProgress.map(_.json.replace("\n", " ")).mkString("\n")
        .getBytes(StandardCharsets.UTF_8))
    spark.stop()
  }
}
