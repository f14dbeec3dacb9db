#!/usr/bin/env bash
# libFuzzer targets (Swift -sanitize=fuzzer,address; Linux), outside `swift build`/`swift test`
# and not run by CI:
#   scripts/fuzz.sh [csv|answers|all] [SECONDS]     (default: all, 600 s each, at nice 19)
#   csv:     the CSV reader (Sources/SubImportCSV): never traps, and reads the same records
#            whatever the chunk size. Seeds: the CSV test fixtures and samples/.
#   answers: the provider answer readers (JSONAnswer, Octopush/SMSPartner create and list
#            answers, Retry-After): never trap, keep identifiers within 1 KiB and messages cut.
#            Seeds: the answers the providers' pages and the sandbox give.
# FUZZ_OPTIONS adds libFuzzer options (e.g. FUZZ_OPTIONS=-detect_leaks=0 with
# ASAN_OPTIONS=detect_leaks=0 to go on past Foundation's own DateFormatter leak). Binaries, corpora, logs and crash files go to .build-fuzz/; a run prints libFuzzer's last
# status line (execs, coverage) and lists the crash files, and exits 1 if there are any.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
seconds="${2:-600}"
out=.build-fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g)

build_csv() {
    swiftc "${flags[@]}" -module-name SubImportCSV Fuzz/CSVReaderFuzz.swift Sources/SubImportCSV/*.swift \
        -o "$out/fuzz-csv"
    mkdir -p "$out/corpus-csv"
    local i=0
    while IFS= read -r -d '' file; do
        { printf '\x07'; head -c 65536 "$file"; } >"$out/corpus-csv/seed-$i"
        i=$((i + 1))
    done < <(find Tests/SubImportCSVTests/Fixtures samples -type f -name '*.csv' -print0)
}

build_answers() {
    local dir=Sources/SubImport/Providers
    swiftc "${flags[@]}" -module-name SubImport Fuzz/ProviderAnswerFuzz.swift "$dir/JSONAnswer.swift" \
        "$dir/ProviderAnswer.swift" "$dir/ProviderAnswerLimits.swift" "$dir/RetryAfter.swift" \
        "$dir/OctopushAnswerReading.swift" "$dir/SMSPartnerAnswerReading.swift" -o "$out/fuzz-answers"
    mkdir -p "$out/corpus-answers"
    local bodies=(
        '{"api_key":"0123456789abcdef","api_login":"sub1@sub-accounts.com"}'
        '{"code":102,"message":"first_name: must be 3-30 characters"}'
        '{"code":150,"message":"Sub-account limit reached"}'
        '{"success":true,"code":200,"subaccount":{"email":"a@b.fr","token":"t0k"},"parent_email":"m@b.fr"}'
        '{"success":false,"code":7,"message":"exists","errors":[{"elementId":"email","message":"taken"}]}'
        '{"success":true,"code":200,"total":41,"nb_per_page":20,"page":2,"data":[{"id":1,"email":"wanted@example.fr","token":"t"}]}'
        '{"success":true,"total":0,"nb_per_page":0,"data":[]}'
        'Thu, 01 Jan 2026 00:00:00 GMT'
        '<html>502 Bad Gateway</html>'
    )
    local i=0
    for body in "${bodies[@]}"; do
        for selector in '\x10' '\x13' '\x15' '\x37' '\x97'; do
            { printf "$selector"; printf '%s' "$body"; } >"$out/corpus-answers/seed-$i"
            i=$((i + 1))
        done
    done
}

run() {
    local name=$1
    mkdir -p "$out/crashes-$name"
    nice -n 19 "$out/fuzz-$name" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 ${FUZZ_OPTIONS:-} \
        -artifact_prefix="$out/crashes-$name/" "$out/corpus-$name" >"$out/fuzz-$name.log" 2>&1 || true
    echo "== $name: $(grep -E '^#[0-9]+' "$out/fuzz-$name.log" | tail -1)"
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/fuzz-$name.log" || true
    local crashes
    crashes=$(find "$out/crashes-$name" -type f | wc -l)
    echo "   crash files: $crashes (in $out/crashes-$name/, log $out/fuzz-$name.log)"
    [[ "$crashes" == 0 ]]
}

case "$which" in
csv) build_csv && run csv ;;
answers) build_answers && run answers ;;
all)
    build_csv
    build_answers
    status=0
    run csv || status=1
    run answers || status=1
    exit $status
    ;;
*)
    echo "usage: scripts/fuzz.sh [csv|answers|all] [SECONDS]" >&2
    exit 2
    ;;
esac
