# formats.sh: the file-format layer (test_formats.c) on what make_model.py writes: a float32
# model of six layers (indices 0 to 10, so that numeric and string order differ), the same
# checks on float16, bfloat16 and float64 models, and the broken files of make_model.py --bad.
. "$HS_TOP_SRCDIR/tests/tap.sh"
need_numpy
d=$HS_TMPDIR
mk() {
	"$PYTHON_NUMPY" "$HS_TOP_SRCDIR/tests/make_model.py" "$@" >/dev/null ||
		{ echo "Bail out! make_model.py $* failed"; exit 1; }
}
mk "$d/f32" --layers 5,7,6,9,4,3,8 --batch 5
mk "$d/f16" --layers 16,32,8 --dtype f16
mk "$d/bf16" --layers 33,17,65,2 --dtype bf16
mk "$d/f64" --layers 16,32,8 --dtype f64
mk --bad "$d/bad"
TMPDIR=$d exec "$HS_TOP_BUILDDIR/tests/test_formats" "$d/f32" "$d/bad" "$d/f16" "$d/bf16" "$d/f64"
