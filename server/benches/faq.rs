//! FAQ benchmarks: building the library (Markdown + index) for the shipped entries and for
//! 10 000 synthetic ones, and searching those 10 000 with a realistic mix of queries.
//!
//! Criterion reports means; the target is on the 99th percentile of single searches, so that
//! is measured separately over a fixed query mix and printed as `search p50/p99/max`.
//!
//! `cargo bench -p server --bench faq -- --quick`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use server::faq::{FaqLibrary, content};
use std::{
    hint::black_box,
    time::{Duration, Instant},
};

const SYNTHETIC: usize = 10_000;
const P99_QUERIES: usize = 5_000;

/// A small deterministic generator (xorshift64*), so every run benchmarks the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    /// Skewed towards the front of the vocabulary, as word use is.
    fn word<'a>(&mut self, vocabulary: &'a [String]) -> &'a str {
        let a = self.below(vocabulary.len());
        let b = self.below(vocabulary.len());
        &vocabulary[a.min(b)]
    }

    fn words(&mut self, vocabulary: &[String], n: usize) -> String {
        (0..n)
            .map(|_| self.word(vocabulary))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The shipped entries' words, plus made-up ones so 10 000 entries have a large vocabulary.
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = content::builtin()
        .expect("the shipped entries parse")
        .iter()
        .flat_map(|entry| {
            entry
                .body
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| word.len() > 2)
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort();
    words.dedup();
    words.extend((0..20_000).map(|i| format!("term{i}x")));
    words
}

fn synthetic(count: usize) -> Vec<content::Document> {
    let vocabulary = vocabulary();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|i| {
            let paragraphs: Vec<String> = (0..4)
                .map(|_| {
                    let n = 30 + rng.below(40);
                    rng.words(&vocabulary, n)
                })
                .collect();
            let code = rng.words(&vocabulary, 8);
            let title_words = 6 + rng.below(5);
            content::Document {
                file: format!("synthetic/{i}.md"),
                title: format!("{}?", rng.words(&vocabulary, title_words)),
                slug: format!("entry-{i}"),
                category: format!("Category {}", i % 12),
                questions: (0..2 + rng.below(4))
                    .map(|_| {
                        let n = 5 + rng.below(6);
                        format!("{}?", rng.words(&vocabulary, n))
                    })
                    .collect(),
                tags: (0..3).map(|_| rng.word(&vocabulary).to_owned()).collect(),
                errors: (0..rng.below(3))
                    .map(|_| format!("error: {}", rng.words(&vocabulary, 6)))
                    .collect(),
                platform_versions: None,
                related: Vec::new(),
                body: format!(
                    "{}\n\n## {}\n\n{}\n\n```bash\n{code}\n```\n\n{}\n\n{}",
                    paragraphs[0],
                    rng.words(&vocabulary, 3),
                    paragraphs[1],
                    paragraphs[2],
                    paragraphs[3]
                ),
            }
        })
        .collect()
}

/// The kinds of query readers type, in the order [`queries`] cycles through them.
const KINDS: [&str; 6] = [
    "2-4 words",
    "a title",
    "a pasted error line",
    "a title with typos",
    "an unfinished word",
    "a 40-word paste",
];

/// What readers type: a few words, a whole title, a pasted error line, typos, an unfinished
/// word, and a long paste; each with its kind (an index into [`KINDS`]).
fn queries(documents: &[content::Document], count: usize) -> Vec<(usize, String)> {
    let vocabulary = vocabulary();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    (0..count)
        .map(|i| {
            let document = &documents[rng.below(documents.len())];
            let kind = i % KINDS.len();
            let query = match kind {
                0 => {
                    let n = 2 + rng.below(3);
                    rng.words(&vocabulary, n)
                }
                1 => document.title.clone(),
                2 => match document.errors.first() {
                    Some(error) => format!("Error from server: {error} (see the logs)"),
                    None => document.title.clone(),
                },
                3 => {
                    // Two letters swapped in each longer word of a title.
                    document
                        .title
                        .split(' ')
                        .map(|word| {
                            let mut chars: Vec<char> = word.chars().collect();
                            if chars.len() > 4 {
                                chars.swap(1, 2);
                            }
                            chars.into_iter().collect::<String>()
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                }
                4 => {
                    let word = rng.word(&vocabulary);
                    let cut = word.len().min(4);
                    format!("{} {}", rng.word(&vocabulary), &word[..cut])
                }
                _ => rng.words(&vocabulary, 40),
            };
            (kind, query)
        })
        .collect()
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("shipped", |b| {
        b.iter(|| {
            let documents =
                content::merge(content::builtin().expect("parses"), Vec::new()).expect("merges");
            black_box(FaqLibrary::build(documents, None).expect("builds"))
        });
    });
    let documents = synthetic(SYNTHETIC);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(BenchmarkId::new("synthetic", SYNTHETIC), |b| {
        b.iter(|| black_box(FaqLibrary::build(documents.clone(), None).expect("builds")));
    });
    group.finish();
}

fn search(c: &mut Criterion) {
    let documents = synthetic(SYNTHETIC);
    let mix = queries(&documents, 600);
    let library = FaqLibrary::build(documents.clone(), None).expect("builds");

    let mut group = c.benchmark_group("search");
    let mut next = 0;
    group.bench_function(BenchmarkId::new("mixed", SYNTHETIC), |b| {
        b.iter(|| {
            next = (next + 1) % mix.len();
            black_box(library.search(&mix[next].1))
        });
    });
    group.finish();

    // The percentiles of single searches, over a larger mix, after a warm-up pass.
    let mix = queries(&documents, P99_QUERIES);
    for (_, query) in mix.iter().take(500) {
        black_box(library.search(query));
    }
    let timed: Vec<(usize, Duration)> = mix
        .iter()
        .map(|(kind, query)| {
            let start = Instant::now();
            black_box(library.search(query));
            (*kind, start.elapsed())
        })
        .collect();
    let report = |label: &str, mut times: Vec<Duration>| {
        times.sort();
        let at = |fraction: f64| {
            let index = ((times.len() as f64 * fraction).ceil() as usize).saturating_sub(1);
            times[index.min(times.len() - 1)]
        };
        println!(
            "{label:>22}: {:>5} queries, p50 {:>10.3?}, p95 {:>10.3?}, p99 {:>10.3?}, max {:>10.3?}",
            times.len(),
            at(0.50),
            at(0.95),
            at(0.99),
            at(1.0)
        );
    };
    println!("single searches over {SYNTHETIC} entries:");
    report("all", timed.iter().map(|(_, time)| *time).collect());
    for (kind, label) in KINDS.iter().enumerate() {
        report(
            label,
            timed
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, time)| *time)
                .collect(),
        );
    }
}

criterion_group!(benches, build, search);
criterion_main!(benches);
