//! `Decimal<P, S>` columns (Spark's `decimal(p,s)`) against Spark 4.3 with ANSI off
//! (`golden/decimals/`, written by `make_decimals_golden.py`): the precision and scale of every
//! result, exact values of arithmetic (rounded half up, null on overflow), comparisons, casts
//! and functions, how JSON and CSV are read into decimals, aggregates over several
//! micro-batches, and how `show()` prints them.

use crate::common;

use common::assert_columns_match_spark as assert_matches_spark;
use common::spark_type;
use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Sample {
        id: Option<i32>, a: Option<Decimal<10, 2>>, b: Option<Decimal<38, 18>>, c: Option<Decimal<5, 0>>,
        e: Option<Decimal<38, 0>>, i: Option<i32>, l: Option<i64>, d: Option<f64>, s: Option<String>,
    }

    query Arithmetic(raw: Sample) {
        raw.select(
            id,
            a_plus_a = a + a, a_plus_c = a + c, a_plus_b = a + b, b_plus_b = b + b, a_minus_b = a - b,
            e_plus_e = e + e, e_minus_e = e - e, a_times_a = a * a, a_times_c = a * c, a_times_b = a * b,
            b_times_b = b * b, e_times_e = e * e, e_times_a = e * a, a_div_c = a / c, a_div_b = a / b,
            b_div_a = b / a, c_div_a = c / a, b_div_b = b / b, e_div_b = e / b, a_div_3 = a / 3,
            a_div_i = a / i, a_mod_c = a % c, b_mod_a = b % a, a_mod_0 = a % 0, pmod_a_c = pmod(a, c),
            a_plus_1 = a + 1, a_times_2 = a * 2, a_minus_100 = a - 100, a_plus_i = a + i, a_plus_l = a + l,
            a_times_l = a * l, l_div_a = l / a, a_plus_d = a + d, a_times_1_5d = a * 1.5,
            a_plus_float = a + cast(1.5, "float"), neg_a = -a, neg_b = -b, abs_a = abs(a),
            a_intdiv_c = div(a, c), a_plus_1y = a + cast(1, "tinyint"), a_plus_1s = a + cast(1, "smallint"),
            a_cubed = a * a * a, a_pow5 = a * a * a * a * a, a_plus_b_times_c = (a + b) * c,
            abs_b = abs(b), negative_b = negative(b), zero_minus_b = 0 - b, b_times_m1 = b * -1, neg_b_str = cast(-b, "string"),
            b_div_a_str = cast(b / a, "string"), round_b_10_str = cast(round(b, 10), "string"),
        )
    }

    query Comparisons(raw: Sample) {
        raw.select(
            id,
            a_gt_c = a > c, a_eq_c = a == c, a_lt_b = a < b, b_eq_b = b == b, a_eq_1 = a == 1,
            a_gt_1_5d = a > 1.5, a_eq_d = a == d, b_gt_l = b > l, a_eq_2_45d = a == 2.45, e_gt_0 = e > 0,
            greatest_a_c = greatest(a, c), least_a_b = least(a, b), greatest_a_i = greatest(a, i),
            coalesce_a_c = coalesce(a, c), coalesce_a_0 = coalesce(a, 0), case_a_c = when(a > 0, a).otherwise(c),
            nvl_a_0 = nvl(a, 0), if_a_b = iff(a > 0, a, b),
        )
    }

    query Casts(raw: Sample) {
        raw.select(
            id,
            a_int = cast(a, "int"), a_bigint = cast(a, "bigint"), e_bigint = cast(e, "bigint"),
            e_int = cast(e, "int"), a_tinyint = cast(a, "tinyint"), a_smallint = cast(a, "smallint"),
            b_int = cast(b, "int"), a_double = cast(a, "double"), b_double = cast(b, "double"),
            e_double = cast(e, "double"), a_float = cast(a, "float"), a_str = cast(a, "string"),
            b_str = cast(b, "string"), c_str = cast(c, "string"), e_str = cast(e, "string"),
            a_bool = cast(a, "boolean"), a_dec4_1 = cast(a, "decimal(4,1)"), a_dec12_4 = cast(a, "decimal(12,4)"),
            b_dec10_2 = cast(b, "decimal(10,2)"), b_dec38_0 = cast(b, "decimal(38,0)"),
            s_dec10_2 = cast(s, "decimal(10,2)"), s_dec38_18 = cast(s, "decimal(38,18)"),
            i_dec5_2 = cast(i, "decimal(5,2)"), i_dec10_0 = cast(i, "decimal(10,0)"),
            l_dec20_0 = cast(l, "decimal(20,0)"), l_dec10_2 = cast(l, "decimal(10,2)"),
            d_dec10_2 = cast(d, "decimal(10,2)"), d_dec38_18 = cast(d, "decimal(38,18)"),
            d_dec38_0 = cast(d, "decimal(38,0)"), a_str_dec10_2 = cast(cast(a, "string"), "decimal(10,2)"),
            a_ts = cast(a, "timestamp"), i_dec38_37 = cast(i, "decimal(38,37)"),
        )
    }

    query Functions(raw: Sample) {
        raw.select(
            id,
            round_a_1 = round(a, 1), round_a = round(a), round_a_m1 = round(a, -1), round_a_5 = round(a, 5),
            bround_a_1 = bround(a, 1), bround_a = bround(a), round_b_10 = round(b, 10), floor_a = floor(a),
            ceil_a = ceil(a), floor_b = floor(b), ceil_b = ceil(b), floor_e = floor(e), hash_a = hash(a),
            hash_b = hash(b), hash_c = hash(c), hash_e = hash(e), hash_abc = hash(a, b, c), xx_a = xxhash64(a),
            xx_b = xxhash64(b), xx_e = xxhash64(e), fn_a_1 = format_number(a, 1), fn_b_3 = format_number(b, 3),
            concat_a_b = concat(a, "|", b), signum_a = signum(a), sqrt_a = sqrt(a),
        )
    }

    query Totals(raw: Sample) {
        raw.agg(
            sum_a = sum(a), sum_b = sum(b), sum_c = sum(c), sum_e = sum(e), avg_a = avg(a), avg_b = avg(b),
            avg_c = avg(c), avg_e = avg(e), min_a = min(a), max_a = max(a), min_b = min(b), max_b = max(b),
            min_c = min(c), max_c = max(c), min_e = min(e), max_e = max(e), count_a = count(a),
            count_b = count(b), count_c = count(c), count_e = count(e), count_all = count(),
        )
    }

    query TotalsByParity(raw: Sample) {
        raw.group_by(k = i % 2).agg(
            sum_a = sum(a), sum_b = sum(b), sum_c = sum(c), sum_e = sum(e), avg_a = avg(a), avg_b = avg(b),
            avg_c = avg(c), avg_e = avg(e), min_a = min(a), max_a = max(a), min_b = min(b), max_b = max(b),
            min_c = min(c), max_c = max(c), min_e = min(e), max_e = max(e), count_a = count(a),
            count_b = count(b), count_c = count(c), count_e = count(e), count_all = count(),
        )
    }

    query TotalsByC(raw: Sample) {
        raw.group_by(c).agg(sum_a = sum(a), avg_a = avg(a), sum_b = sum(b), avg_b = avg(b), sum_e = sum(e))
    }

    schema Read { id: Option<i32>, a: Option<Decimal<10, 2>>, c: Option<Decimal<5, 0>>, b: Option<Decimal<38, 18>> }
    query ReadBack(raw: Read) { raw.select(id, a, c, b) }

    query Columns(raw: Sample) { raw.select(a, b, c, e) }

    query TopByC(raw: Sample) {
        raw.group_by(c).agg(total = sum(a)).order_by(desc(total)).limit(3)
    }

    query FirstPerC(raw: Sample) { raw.drop_duplicates(c).select(id, c) }

    schema WidePrice { price: Option<Decimal<12, 3>> }
    query WidePrices(raw: WidePrice) { raw.select(price) }
    schema NarrowPrice { price: Decimal<10, 3> }
    query NarrowPrices(raw: NarrowPrice) { raw.select(price) }

    schema Order { item: String, price: Decimal<10, 2>, discount: Option<Decimal<5, 4>> }
    query Priced(raw: Order) {
        raw.select(item, price, discount, net = price * (1 - discount))
    }

    // Spark's literal probes, as Rill writes them (Spark SQL's `1.5` is a decimal; Rill's is a
    // double, so its decimals are `1.5bd` or casts).
    query Probes(raw: Sample) {
        raw.filter(id == 1).select(
            id,
            bd_lit = 1.5bd, bd_lit_plus_1 = 1.5bd + 1, dec_plus_scale3_lit = cast(1, "decimal(10,2)") + 0.000bd,
            str_1_005_d3_2 = cast("1.005", "decimal(3,2)"), str_m1_005_d3_2 = cast("-1.005", "decimal(3,2)"),
            str_1_0049999_d3_2 = cast("1.0049999", "decimal(3,2)"),
            str_9_995_d3_2_overflow = cast("9.995", "decimal(3,2)"),
            str_m9_995_d3_2_overflow = cast("-9.995", "decimal(3,2)"),
            str_zero_d38_18 = cast("0.0", "decimal(38,18)"), int_zero_d38_18 = cast(0, "decimal(38,18)"),
            zero_d38_18_str = cast(cast(0, "decimal(38,18)"), "string"),
            str_1e_7_d20_10_str = cast(cast("1e-7", "decimal(20,10)"), "string"),
            str_1e_7_d20_10 = cast("1e-7", "decimal(20,10)"),
            str_neg_zero_d10_2_str = cast(cast("-0.00", "decimal(10,2)"), "string"),
            str_1e3_d10_0_str = cast(cast("1E+3", "decimal(10,0)"), "string"),
            str_1e_8_d38_18_str = cast(cast("0.00000001", "decimal(38,18)"), "string"),
            str_1e10_d38_0_str = cast(cast("1E+10", "decimal(38,0)"), "string"),
            str_40frac_d38_38 = cast("0.0449999999999999999999999999999999999995", "decimal(38,38)"),
            str_41frac_d38_38 = cast("0.04499999999999999999999999999999999999949", "decimal(38,38)"),
            str_0_5_d38_38 = cast("0.5", "decimal(38,38)"), str_1_d38_38_overflow = cast("1", "decimal(38,38)"),
            str_38nines_d38_38 = cast("0.99999999999999999999999999999999999999", "decimal(38,38)"),
            str_round_up_d38_38 = cast("0.999999999999999999999999999999999999995", "decimal(38,38)"),
            str_ws_d10_2 = cast(" 1.5 ", "decimal(10,2)"), str_tab_nl_d10_2 = cast("\t1.5\n", "decimal(10,2)"),
            str_1dot_d10_2 = cast("1.", "decimal(10,2)"), str_dot5_d10_2 = cast(".5", "decimal(10,2)"),
            str_plus_dot5_d10_2 = cast("+.5", "decimal(10,2)"), str_minus_dot5_d10_2 = cast("-.5", "decimal(10,2)"),
            str_comma_d10_2 = cast("1,5", "decimal(10,2)"), str_hex_d10_2 = cast("0x10", "decimal(10,2)"),
            str_nan_d10_2 = cast("NaN", "decimal(10,2)"), str_inf_d10_2 = cast("Infinity", "decimal(10,2)"),
            str_1e400_d10_2 = cast("1e400", "decimal(10,2)"), str_1e_400_d10_2 = cast("1e-400", "decimal(10,2)"),
            str_1_5d_d10_2 = cast("1.5d", "decimal(10,2)"), str_empty_d10_2 = cast("", "decimal(10,2)"),
            str_underscore_d10_2 = cast("1_000", "decimal(10,2)"), str_fullwidth_d10_2 = cast("１２", "decimal(10,2)"),
            d38_1_div_3 = cast(1, "decimal(38,0)") / cast(3, "decimal(38,0)"),
            d38_2_div_3 = cast(2, "decimal(38,0)") / cast(3, "decimal(38,0)"),
            d10_2_div_3 = cast(2, "decimal(10,0)") / cast(3, "decimal(10,0)"),
            d10_m2_div_3 = cast(-2, "decimal(10,0)") / cast(3, "decimal(10,0)"),
            d38_18_div = cast(1, "decimal(38,18)") / cast(3, "decimal(38,18)"),
            d38_18_div_tiny = cast(1, "decimal(38,18)") / cast("0.000000000000000003", "decimal(38,18)"),
            d10_2_div_8 = cast(1, "decimal(10,2)") / cast(8, "decimal(10,2)"),
            d10_2_div_zero = cast(1, "decimal(10,2)") / cast(0, "decimal(10,2)"),
            d10_2_intdiv_zero = div(cast(1, "decimal(10,2)"), cast(0, "decimal(10,2)")),
            d10_2_mod_zero = cast(1, "decimal(10,2)") % cast(0, "decimal(10,2)"),
            div_just_below_tie_1 = cast("1000000000000000000000000000", "decimal(38,0)") / cast("2000000000000000000000000000000001", "decimal(38,0)"),
            div_just_below_tie_2 = cast("100000000000000000000000000", "decimal(38,0)") / cast("200000000000000000000000000000001", "decimal(38,0)"),
            div_just_below_tie_3 = cast("20000000000000000010000001000000000000", "decimal(38,0)") / cast("2000000000000000001", "decimal(38,0)"),
            div_exact_tie = cast(1, "decimal(38,0)") / cast(2000000, "decimal(38,0)"),
            div_exact_tie_neg = cast(-1, "decimal(38,0)") / cast(2000000, "decimal(38,0)"),
            div_overflow = cast("99999999999999999999999999999999999999", "decimal(38,0)") / cast("0.1", "decimal(2,1)"),
            intdiv_7_5_by_2 = div(cast(7.5, "decimal(10,2)"), 2), intdiv_m7_5_by_2 = div(cast(-7.5, "decimal(10,2)"), 2),
            intdiv_overflow_bigint = div(cast("99999999999999999999999999999999999999", "decimal(38,0)"), cast(1, "decimal(1,0)")),
            d38_37_squared = cast(1, "decimal(38,37)") * cast(1, "decimal(38,37)"),
            d38_37_plus = cast(1, "decimal(38,37)") + cast(1, "decimal(38,37)"),
            d38_37_max_squared = cast("9.9999999999999999999999999999999999999", "decimal(38,37)") * cast("9.9999999999999999999999999999999999999", "decimal(38,37)"),
            mul_just_below_tie = cast("99999999.94", "decimal(10,2)") * cast("12345678901234567890.123456789012345608", "decimal(38,18)"),
            d38_0_times_d38_0 = cast(2, "decimal(38,0)") * cast(3, "decimal(38,0)"),
            d38_0_mul_overflow = cast("10000000000000000000", "decimal(38,0)") * cast("10000000000000000000", "decimal(38,0)"),
            d38_18_mul_underflow = cast("0.000000000000000001", "decimal(38,18)") * cast("0.5", "decimal(38,18)"),
            d38_18_mul_tie = cast("0.000001", "decimal(38,18)") * cast("0.5", "decimal(38,18)"),
            d38_18_mul_tie_neg = cast("-0.000001", "decimal(38,18)") * cast("0.5", "decimal(38,18)"),
            d10_2_mod_d38_18 = cast(7, "decimal(10,2)") % cast("2.5", "decimal(38,18)"),
            d10_2_neg_mod_d38_18 = cast(-7, "decimal(10,2)") % cast("2.5", "decimal(38,18)"),
            d10_2_pmod_d38_18 = pmod(cast(-7, "decimal(10,2)"), cast("2.5", "decimal(38,18)")),
            d10_2_mod_neg = cast(7, "decimal(10,2)") % cast(-2, "decimal(10,2)"),
            d38_0_plus_d38_38 = cast(1, "decimal(38,0)") + cast("0.1", "decimal(38,38)"),
            d38_plus_1_overflow = cast("99999999999999999999999999999999999999", "decimal(38,0)") + 1,
            d38_minus_1_overflow = cast("-99999999999999999999999999999999999999", "decimal(38,0)") - 1,
            d38_18_plus_round = cast("0.000000000000000005", "decimal(38,18)") + cast(1, "decimal(38,18)"),
            negate_38_digits = -cast("12345678901234567890.123456789012345678", "decimal(38,18)"),
            abs_38_digits = abs(cast("-12345678901234567890.123456789012345678", "decimal(38,18)")),
            zero_minus_38_digits = 0 - cast("12345678901234567890.123456789012345678", "decimal(38,18)"),
            negate_34_digits = -cast("1234567890123456789012345678901234", "decimal(38,0)"),
            negate_35_digits = -cast("12345678901234567890123456789012345", "decimal(38,0)"),
            negate_neg_35_digits = -cast("-12345678901234567890123456789012345", "decimal(38,0)"),
            abs_35_digits = abs(cast("-12345678901234567890123456789012345", "decimal(38,0)")),
            abs_pos_35_digits = abs(cast("12345678901234567890123456789012345", "decimal(38,0)")),
            negate_38_frac = -cast("0.12345678901234567890123456789012345678", "decimal(38,38)"),
            negate_19_digits = -cast("123456789012345678.5", "decimal(19,1)"),
            negate_38_digits_str = cast(-cast("12345678901234567890.123456789012345678", "decimal(38,18)"), "string"),
            div_result_str = cast(cast("0.000000000000000001", "decimal(38,18)") / cast("0.01", "decimal(10,2)"), "string"),
            round_2_5 = round(cast(2.5, "decimal(10,2)")), round_m2_5 = round(cast(-2.5, "decimal(10,2)")),
            bround_2_5 = bround(cast(2.5, "decimal(10,2)")), bround_m2_5 = bround(cast(-2.5, "decimal(10,2)")),
            bround_3_5 = bround(cast(3.5, "decimal(10,2)")),
            round_max_m8 = round(cast(99999999.99, "decimal(10,2)"), -8),
            round_max_m9 = round(cast(99999999.99, "decimal(10,2)"), -9),
            round_15_m1 = round(cast(15, "decimal(10,2)"), -1), round_m15_m1 = round(cast(-15, "decimal(10,2)"), -1),
            round_1_25_1 = round(cast(1.25, "decimal(10,2)"), 1), round_1_25_3 = round(cast(1.25, "decimal(10,2)"), 3),
            floor_m0_5 = floor(cast(-0.5, "decimal(10,2)")), ceil_m0_5 = ceil(cast(-0.5, "decimal(10,2)")),
            m0_5_int = cast(cast(-0.5, "decimal(10,2)"), "int"), m1_99_int = cast(cast(-1.99, "decimal(10,2)"), "int"),
            double_0_1_d38_18 = cast(0.1, "decimal(38,18)"), double_1_005_d10_2 = cast(1.005, "decimal(10,2)"),
            double_0_045_d10_2 = cast(0.045, "decimal(10,2)"), double_2_675_d10_2 = cast(2.675, "decimal(10,2)"),
            double_1e20_d38_0 = cast(1e20, "decimal(38,0)"), double_1e_20_d38_18 = cast(1.0e-20, "decimal(38,18)"),
            double_long_d38_18 = cast(123456789.0123456789, "decimal(38,18)"),
            double_1e38_d38_0 = cast(1e38, "decimal(38,0)"),
            double_nan_d10_2 = cast(cast("NaN", "double"), "decimal(10,2)"),
            double_inf_d10_2 = cast(cast("Infinity", "double"), "decimal(10,2)"),
            double_neg_zero_d10_2 = cast(-0.0, "decimal(10,2)"),
            float_0_1_d38_18 = cast(cast(0.1, "float"), "decimal(38,18)"),
            d_near_0_1_double = cast(cast("0.1000000000000000055511151231257827", "decimal(38,34)"), "double"),
            d38_18_double = cast(cast("12345678901234567890.123456789012345678", "decimal(38,18)"), "double"),
            d38_max_float = cast(cast("99999999999999999999999999999999999999", "decimal(38,0)"), "float"),
            d_2p53_plus_1_double = cast(cast("9007199254740993", "decimal(38,0)"), "double"),
            d10_2_ts = cast(cast(1.5, "decimal(10,2)"), "timestamp"),
            d10_2_neg_ts = cast(cast(-1.5, "decimal(10,2)"), "timestamp"),
            d_sub_micro_ts = cast(cast("0.0000005", "decimal(38,18)"), "timestamp"),
            d38_max_ts = cast(cast("99999999999999999999999999999999999999", "decimal(38,0)"), "timestamp"),
            d_bool = cast(cast(1.5, "decimal(10,2)"), "boolean"), d_zero_bool = cast(cast(0, "decimal(10,2)"), "boolean"),
            bool_d10_2 = cast(true, "decimal(10,2)"),
            ts_d20_6 = cast(cast("2024-01-01 00:00:01.5", "timestamp"), "decimal(20,6)"),
            d_128_5_tinyint = cast(cast(128.5, "decimal(10,2)"), "tinyint"),
            d_long_max_frac_bigint = cast(cast("9223372036854775807.9", "decimal(38,1)"), "bigint"),
            d_long_max_plus1_bigint = cast(cast("9223372036854775808", "decimal(38,0)"), "bigint"),
            eq_across_scales = cast(1.5, "decimal(10,2)") == cast(1.5, "decimal(38,18)"),
            eq_double = cast(1.5, "decimal(10,2)") == 1.5, double_eq_dec = 0.1 == cast(0.1, "decimal(10,2)"),
            near_eq_double = cast("0.1000000000000000055511151231257827", "decimal(38,34)") == 0.1,
            cmp_wide = cast("12345678901234567890.123456789012345678", "decimal(38,18)") > cast("12345678901234567890", "decimal(38,0)"),
            cmp_d38_0_d38_38 = cast(1, "decimal(38,0)") < cast("0.5", "decimal(38,38)"),
            greatest_d38_0_d38_38 = greatest(cast(1, "decimal(38,0)"), cast("0.5", "decimal(38,38)")),
            hash_zero_d38_18 = hash(cast(0, "decimal(38,18)")), hash_zero_d10_2 = hash(cast(0, "decimal(10,2)")),
            hash_1_5_d10_2 = hash(cast(1.5, "decimal(10,2)")), hash_1_5_d18_2 = hash(cast(1.5, "decimal(18,2)")),
            hash_1_5_d19_2 = hash(cast(1.5, "decimal(19,2)")), hash_1_5_d38_18 = hash(cast(1.5, "decimal(38,18)")),
            hash_m1_5_d38_18 = hash(cast(-1.5, "decimal(38,18)")), hash_1_5_d38_1 = hash(cast(1.5, "decimal(38,1)")),
            xx_zero_d38_18 = xxhash64(cast(0, "decimal(38,18)")), xx_1_5_d10_2 = xxhash64(cast(1.5, "decimal(10,2)")),
            xx_1_5_d19_2 = xxhash64(cast(1.5, "decimal(19,2)")), xx_m1_5_d38_18 = xxhash64(cast(-1.5, "decimal(38,18)")),
            fn_2_345 = format_number(cast("2.345", "decimal(10,3)"), 2),
            fn_2_355 = format_number(cast("2.355", "decimal(10,3)"), 2),
            fn_m0_001 = format_number(cast("-0.001", "decimal(10,3)"), 2),
            fn_1234567_5 = format_number(cast("1234567.5", "decimal(10,1)"), 0),
            fn_wide_20 = format_number(cast("12345678901234567890.123456789012345678", "decimal(38,18)"), 20),
            fn_neg_places = format_number(cast(1.5, "decimal(10,2)"), -1),
            concat_zero = concat(cast(0, "decimal(38,18)"), "|", cast(-0.5, "decimal(3,2)")),
        )
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/decimals");

fn golden() -> Value {
    common::golden_json(GOLDEN, "expected/decimals.json")
}

#[test]
fn arithmetic_matches_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(
        Arithmetic::read(JsonSource::new(input.path())),
        &golden()["non_ansi_all"],
    );
}

#[test]
fn comparisons_match_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(
        Comparisons::read(JsonSource::new(input.path())),
        &golden()["non_ansi_all"],
    );
}

#[test]
fn casts_match_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(Casts::read(JsonSource::new(input.path())), &golden()["non_ansi_all"]);
}

#[test]
fn functions_match_spark() {
    let input = common::golden_input(GOLDEN);
    assert_matches_spark(
        Functions::read(JsonSource::new(input.path())),
        &golden()["non_ansi_all"],
    );
}

/// Spark's aggregate rows as JSON arrays of `columns`, from our batch.
fn rows_of(batch: &rill::arrow_array::RecordBatch, columns: &[String]) -> Vec<Value> {
    common::golden_objects(batch)
        .into_iter()
        .map(|object| Value::Array(columns.iter().map(|c| object[c].clone()).collect()))
        .collect()
}

fn column_names(section: &Value) -> Vec<String> {
    section["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

fn assert_types(batch: &rill::arrow_array::RecordBatch, section: &Value) {
    for field in batch.schema().fields() {
        assert_eq!(
            spark_type(field.data_type()),
            section["column_types"][field.name()],
            "`{}`",
            field.name()
        );
    }
}

/// `sum` (ten more digits, null on overflow), `avg` (four more digits and places, through
/// Spark's division), `min`, `max` and `count` of decimals, global and grouped: a global sum
/// is checked for overflow at the end of the batch, a grouped one at every row, as in Spark.
#[test]
fn aggregates_match_spark() {
    let golden = golden();
    let input = common::golden_input(GOLDEN);
    for (section, grouped) in [("global", false), ("grouped", true)] {
        let spark = &golden["aggregates"]["non_ansi"][section];
        let sink = common::CapturingSink::default();
        let source = JsonSource::new(input.path());
        if grouped {
            common::run_available_now(TotalsByParity::read(source).complete().to(sink.clone()));
        } else {
            common::run_available_now(Totals::read(source).complete().to(sink.clone()));
        }
        let batches = sink.take();
        let (_, batch) = batches.last().unwrap();
        assert_types(batch, spark);
        let rows = common::sorted(rows_of(batch, &column_names(spark)));
        let expected = common::sorted(spark["streaming_complete_rows"].as_array().unwrap().clone());
        assert_eq!(rows, expected, "{section}");
    }
}

/// Three micro-batches, one file each: decimal sums and averages carried in state from batch to
/// batch, and a sum that overflows `decimal(38,0)` in the last one, null from then on.
#[test]
fn aggregates_across_batches_match_spark() {
    let golden = golden();
    let spark = &golden["aggregates"]["batches3_non_ansi"];
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&std::path::Path::new(GOLDEN).join("input_batches"), dir.path());
    let checkpoint = tempfile::tempdir().unwrap();
    let sink = common::CapturingSink::default();
    common::run_available_now(
        TotalsByC::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .checkpoint(checkpoint.path())
            .to(sink.clone()),
    );
    let columns = column_names(spark);
    let ours: Vec<Vec<Value>> = sink
        .take()
        .iter()
        .map(|(_, batch)| common::sorted(rows_of(batch, &columns)))
        .collect();
    let expected: Vec<Vec<Value>> = spark["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|batch| common::sorted(batch["rows"].as_array().unwrap().clone()))
        .collect();
    assert_eq!(ours, expected);
}

/// JSON decimals as Spark's PERMISSIVE reader takes them, line by line: numbers rounded half up
/// to the scale, numeric strings read, and a record whose value does not fit (or is no number)
/// malformed.
#[test]
fn json_is_read_into_decimals_as_spark_reads_it() {
    let golden = golden();
    assert_read_as_spark(&golden["input_bad"]["permissive"]["lines"], |dir| {
        JsonSource::new(dir).mode(ParseMode::Permissive)
    });
}

/// The same cases as CSV fields.
#[test]
fn csv_is_read_into_decimals_as_spark_reads_it() {
    let golden = golden();
    let header = golden["input_bad_csv"]["header"].as_str().unwrap().to_owned();
    let lines = &golden["input_bad_csv"]["permissive"]["lines"];
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for line in lines.as_array().unwrap() {
        let text = line["line"].as_str().unwrap();
        std::fs::write(dir.path().join("line.csv"), format!("{header}\n{text}\n")).unwrap();
        let source = FileSource::csv(dir.path())
            .csv_options(CsvOptions::default().header(true))
            .mode(ParseMode::Permissive);
        compared += compare_line(line, source);
    }
    assert!(compared > 10);
}

fn assert_read_as_spark(lines: &Value, source: impl Fn(&std::path::Path) -> JsonSource) {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for line in lines.as_array().unwrap() {
        let text = line["line"].as_str().unwrap();
        std::fs::write(dir.path().join("line.json"), format!("{text}\n")).unwrap();
        compared += compare_line(line, source(dir.path()));
    }
    assert!(compared > 10);
}

/// Reads one golden line: whether it is malformed, and otherwise its values, as Spark's.
fn compare_line(line: &Value, source: FileSource) -> usize {
    let text = line["line"].as_str().unwrap();
    let sink = common::CapturingSink::default();
    let query = common::run_available_now(ReadBack::read(source).append().to(sink.clone()));
    let malformed = query.last_progress().unwrap().num_malformed_rows > 0;
    assert_eq!(malformed, line["corrupt"] == true, "{text}: malformed");
    if malformed {
        return 0;
    }
    let rows = sink.take();
    let object = &common::golden_objects(&rows[0].1)[0];
    for column in ["a", "c", "b"] {
        assert_eq!(object[column], line["row_by_column"][column], "{text}: {column}");
    }
    1
}

/// `show()` prints decimals plainly, with all their places, as Spark does.
#[test]
fn show_prints_decimals_as_spark() {
    use rill::show::{Truncate, show_string};
    let golden = golden();
    let input = common::golden_input(GOLDEN);
    let sink = common::CapturingSink::default();
    common::run_available_now(Columns::read(JsonSource::new(input.path())).append().to(sink.clone()));
    let batches: Vec<_> = sink.take().into_iter().map(|(_, batch)| batch).collect();
    for (truncate, name) in [(Truncate::Default, "a_b_c_e"), (Truncate::Never, "a_b_c_e_untruncated")] {
        let printed = show_string(&batches, 20, truncate);
        assert_eq!(printed, golden["show"][name]["text"].as_str().unwrap(), "{name}");
    }
}

/// Spark's literal probes, each a type and a value: the corners of parsing, rounding (ties just
/// below and at half), overflow, negation of wide values, conversions, hashes and formatting.
#[test]
fn probes_match_spark() {
    let golden = golden();
    let probes = golden["probes_non_ansi"].as_array().unwrap();
    let input = common::golden_input(GOLDEN);
    let sink = common::CapturingSink::default();
    common::run_available_now(Probes::read(JsonSource::new(input.path())).append().to(sink.clone()));
    let batches = sink.take();
    let (_, batch) = &batches[0];
    let object = &common::golden_objects(batch)[0];
    let mut differences = Vec::new();
    for field in batch.schema().fields().iter().filter(|f| f.name() != "id") {
        let name = field.name();
        let probe = probes
            .iter()
            .find(|p| p["expr"].as_str().unwrap().ends_with(&format!(" AS {name}")))
            .unwrap_or_else(|| panic!("no probe {name}"));
        let ours = spark_type(field.data_type());
        if ours != probe["type"] {
            differences.push(format!("`{name}`: type {ours}, Spark {}", probe["type"]));
        }
        let spark = &probe["value"];
        if object[name.as_str()] != *spark {
            differences.push(format!("`{name}`: Rill {}, Spark {spark}", object[name.as_str()]));
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Typed rows with decimal fields go in through a memory stream, and out through every file
/// format of the file sink (partitioned by a decimal, too) and back, value for value; the JSON
/// files hold plain numbers, as Spark writes them.
#[test]
fn decimals_survive_every_sink_format() {
    use rill::Decimal;
    use rill::sink::{FileSink, read_file_sink};
    use rill::source::MemoryStream;

    let price = |text: &str| Decimal::<10, 2>::parse(text).unwrap();
    let discount = |text: &str| Some(Decimal::<5, 4>::parse(text).unwrap());
    let rows = [
        Order {
            item: "tea".into(),
            price: price("4.50"),
            discount: discount("0.1"),
        },
        Order {
            item: "cake".into(),
            price: price("-12345678.99"),
            discount: None,
        },
        Order {
            item: "jam".into(),
            price: price("0.01"),
            discount: discount("0.3333"),
        },
    ];
    // `1 - discount` is a decimal(6,4), so the product a decimal(17,6).
    let expected_net = ["4.050000", "", "0.006667"];
    for (format, sink) in [
        ("parquet", FileSink::parquet as fn(std::path::PathBuf) -> FileSink),
        ("json", FileSink::json),
        ("csv", FileSink::csv),
    ] {
        for partitioned in [false, true] {
            let (dir, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            let input: MemoryStream<Order> = MemoryStream::new();
            input.add_rows(&rows).unwrap();
            let sink = sink(dir.path().to_path_buf());
            let sink = if partitioned {
                sink.partition_by(&["price"])
            } else {
                sink
            };
            common::run_available_now(Priced::read(input).append().to(sink).checkpoint(checkpoint.path()));
            let mut back: Vec<PricedRow> = read_file_sink(dir.path()).unwrap();
            back.sort_by(|a, b| a.item.cmp(&b.item));
            let mut sorted = rows.clone();
            sorted.sort_by(|a, b| a.item.cmp(&b.item));
            let expected: Vec<(String, String, Option<String>)> = sorted
                .iter()
                .map(|r| (r.item.clone(), r.price.to_string(), r.discount.map(|d| d.to_string())))
                .collect();
            let found: Vec<(String, String, Option<String>)> = back
                .iter()
                .map(|r| (r.item.clone(), r.price.to_string(), r.discount.map(|d| d.to_string())))
                .collect();
            assert_eq!(found, expected, "{format}, partitioned: {partitioned}");
            let mut nets: Vec<(String, String)> = back
                .iter()
                .map(|r| (r.item.clone(), r.net.map(|n| n.to_string()).unwrap_or_default()))
                .collect();
            nets.sort();
            assert_eq!(
                nets,
                [
                    ("cake", expected_net[1]),
                    ("jam", expected_net[2]),
                    ("tea", expected_net[0])
                ]
                .map(|(item, net)| (item.to_owned(), net.to_owned()))
            );
        }
    }
    let (dir, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let input: MemoryStream<Order> = MemoryStream::new();
    input.add_rows(&rows[..1]).unwrap();
    common::run_available_now(
        Priced::read(input)
            .append()
            .to(FileSink::json(dir.path()))
            .checkpoint(checkpoint.path()),
    );
    let written: String = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            (path.extension().is_some_and(|e| e == "json")).then(|| std::fs::read_to_string(path).unwrap())
        })
        .collect();
    assert!(written.contains(r#""price":4.50"#), "{written}");
}

/// A batch whose decimal column has another precision or scale than the row's field is refused
/// with a message naming both, not read as the wrong numbers.
#[test]
fn a_decimal_column_of_another_scale_is_refused() {
    use std::sync::Arc;

    use rill::arrow_array::{ArrayRef, Decimal128Array, RecordBatch, StringArray};

    let price = Decimal128Array::from(vec![450i128])
        .with_precision_and_scale(10, 3)
        .unwrap();
    let batch = RecordBatch::try_from_iter([
        ("item", Arc::new(StringArray::from(vec!["tea"])) as ArrayRef),
        ("price", Arc::new(price) as ArrayRef),
    ])
    .unwrap();
    let error = Order::from_batch(&batch).unwrap_err().to_string();
    assert!(
        error.contains("Decimal128(10, 3)") && error.contains("Decimal128(10, 2)"),
        "{error}"
    );
}

/// Decimals as keys (deduplicated, grouped) and as sort keys: sorted by value, nulls last when
/// descending, as Spark's `orderBy(desc(..))`.
#[test]
fn decimals_group_deduplicate_and_sort() {
    let input = common::golden_input(GOLDEN);
    let golden = golden();
    let rows = golden["input_rows_encoded"].as_array().unwrap();
    let sink = common::CapturingSink::default();
    common::run_available_now(FirstPerC::read(JsonSource::new(input.path())).append().to(sink.clone()));
    let kept: usize = sink.take().iter().map(|(_, batch)| batch.num_rows()).sum();
    let mut distinct: Vec<String> = rows.iter().map(|row| row[3].to_string()).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(kept, distinct.len());

    let sink = common::CapturingSink::default();
    common::run_available_now(TopByC::read(JsonSource::new(input.path())).complete().to(sink.clone()));
    let batches = sink.take();
    let top: Vec<TopByCRow> = TopByCRow::from_batch(&batches.last().unwrap().1).unwrap();
    assert_eq!(top.len(), 3);
    let totals: Vec<rill::Decimal<20, 2>> = top.iter().map(|row| row.total.unwrap()).collect();
    let mut sorted = totals.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(totals, sorted);
    // The largest sum is the group of c = 99999 (a = 99999999.99 alone).
    assert_eq!(totals[0].to_string(), "99999999.99");
}

/// A Parquet decimal column is read as a wider declared decimal (as many integer digits or
/// more, as many places or more), as Spark's reader widens it; a narrower one is refused with
/// both types named.
#[test]
fn parquet_decimals_widen_as_spark_reads_them() {
    use std::sync::Arc;

    use rill::arrow_array::{ArrayRef, Decimal128Array, RecordBatch};

    let dir = tempfile::tempdir().unwrap();
    let prices = Decimal128Array::from(vec![Some(-9_999_999_999i128), None, Some(150)])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let batch = RecordBatch::try_from_iter([("price", Arc::new(prices) as ArrayRef)]).unwrap();
    let file = std::fs::File::create(dir.path().join("a.parquet")).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();

    let sink = common::CapturingSink::default();
    common::run_available_now(
        WidePrices::read(FileSource::parquet(dir.path()))
            .append()
            .to(sink.clone()),
    );
    let rows: Vec<Option<String>> = sink
        .take()
        .iter()
        .flat_map(|(_, batch)| WidePricesRow::from_batch(batch).unwrap())
        .map(|row| row.price.map(|p| p.to_string()))
        .collect();
    assert_eq!(rows, [Some("-99999999.990".to_owned()), None, Some("1.500".to_owned())]);

    let query = NarrowPrices::read(FileSource::parquet(dir.path()))
        .append()
        .to(common::CapturingSink::default())
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err().to_string();
    assert!(
        error.contains("Decimal128(10, 2)") && error.contains("Decimal128(10, 3)"),
        "{error}"
    );
}
