//! Scraping a test portal's `/metrics` as Prometheus does, and reading values from it.

use super::TestApp;

/// One scrape: the exposition text and its parsed families.
#[derive(Debug)]
pub struct Metrics {
    pub text: String,
    exposition: openmetrics_parser::MetricsExposition<
        openmetrics_parser::PrometheusType,
        openmetrics_parser::PrometheusValue,
    >,
}

impl Metrics {
    /// Scrapes `app`'s metrics listener; checks the status, the content type and that the
    /// text parses as the Prometheus exposition format.
    pub async fn scrape(app: &TestApp) -> Self {
        let address = app.metrics_address.expect("the portal serves metrics");
        let response = reqwest::get(format!("http://{address}/metrics"))
            .await
            .expect("scraped");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .expect("text")
            .to_owned();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let text = response.text().await.expect("a body");
        let exposition = openmetrics_parser::prometheus::parse_prometheus(&text)
            .unwrap_or_else(|error| panic!("the exposition format parses ({error:?}):\n{text}"));
        Self { text, exposition }
    }

    /// The sum over the samples of `family` whose labels include `labels` (for a histogram or
    /// summary, its number of observations); 0 when there is none.
    pub fn value(&self, family: &str, labels: &[(&str, &str)]) -> f64 {
        use openmetrics_parser::PrometheusValue;
        let Some(family) = self.exposition.families.get(family) else {
            return 0.0;
        };
        family
            .iter_samples()
            .filter(|sample| {
                let set = sample.get_labelset().expect("labels");
                labels
                    .iter()
                    .all(|(k, v)| set.get_label_value(k) == Some(*v))
            })
            .map(|sample| match &sample.value {
                PrometheusValue::Counter(counter) => counter.value.as_f64(),
                PrometheusValue::Gauge(v) | PrometheusValue::Unknown(v) => v.as_f64(),
                PrometheusValue::Histogram(histogram) => histogram.count.unwrap_or(0) as f64,
                PrometheusValue::Summary(summary) => summary.count.unwrap_or(0) as f64,
            })
            .sum()
    }
}
