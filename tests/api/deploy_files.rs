//! The deploy files (`deploy/`) against the code: no container engine runs here, so
//! these checks are what keeps the Dockerfile, compose.yaml, the Kubernetes manifests
//! and the Grafana dashboard honest. Every setting they name is one the server reads,
//! the ConfigMap and Secret cover every setting, ports and probes are the server's,
//! the compose services are the README's topology, and every metric the dashboard
//! plots is one a running server exports.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::json;
use serde_yaml::Value as Yaml;

use crate::helpers::{Backend, TestApp};

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(deploy(path)).unwrap_or_else(|e| panic!("deploy/{path}: {e}"))
}

/// A YAML file with its merge keys (`<<: *anchor`) applied.
fn yaml(path: &str) -> Yaml {
    let mut value: Yaml =
        serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("deploy/{path}: {e}"));
    value.apply_merge().expect("merge keys apply");
    value
}

/// Every environment variable the server reads (the clap `env` names).
fn settings() -> BTreeSet<String> {
    use clap::CommandFactory;
    tally::cli::Cli::command()
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .collect()
}

fn keys(map: &Yaml) -> BTreeSet<String> {
    map.as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The port of a `host:port` listen address.
fn port_of(address: &str) -> u16 {
    address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{address} has no port"))
}

fn unknown(names: &BTreeSet<String>) -> Vec<&String> {
    let known = settings();
    names.iter().filter(|n| !known.contains(*n)).collect()
}

#[test]
fn the_kubernetes_config_map_and_secret_hold_every_setting_once() {
    let config_map = yaml("k8s/configmap.yaml");
    let secret = yaml("k8s/secret.yaml");
    let in_map = keys(&config_map["data"]);
    let in_secret = keys(&secret["stringData"]);
    let unset: BTreeSet<String> =
        config_map["metadata"]["annotations"]["tally.example.com/unset-settings"]
            .as_str()
            .expect("the unset-settings annotation")
            .split(',')
            .map(str::to_owned)
            .collect();
    for (name, set) in [
        ("ConfigMap", &in_map),
        ("Secret", &in_secret),
        ("unset", &unset),
    ] {
        assert!(
            unknown(set).is_empty(),
            "{name} names settings the server does not read: {:?}",
            unknown(set)
        );
    }
    let both: Vec<_> = in_map.intersection(&in_secret).collect();
    assert!(both.is_empty(), "in the ConfigMap and the Secret: {both:?}");
    let covered: BTreeSet<String> = in_map
        .iter()
        .chain(&in_secret)
        .chain(&unset)
        .cloned()
        .collect();
    let missing: Vec<_> = settings().difference(&covered).cloned().collect();
    assert!(
        missing.is_empty(),
        "settings missing from deploy/k8s (ConfigMap, Secret or the unset annotation): {missing:?}"
    );
    for secret_setting in ["TALLY_JWT_SECRET", "TALLY_BALLOT_KEY", "DATABASE_URL"] {
        assert!(
            in_secret.contains(secret_setting),
            "{secret_setting} belongs in the Secret"
        );
    }
}

#[test]
fn the_deployment_probes_ports_and_config_match_the_server() {
    let deployment = yaml("k8s/deployment.yaml");
    let config_map = yaml("k8s/configmap.yaml");
    let service = yaml("k8s/service.yaml");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let port = |name: &str| {
        container["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .and_then(|p| p["containerPort"].as_u64())
            .unwrap_or_else(|| panic!("no container port {name}"))
    };
    let listen = config_map["data"]["TALLY_LISTEN"].as_str().unwrap();
    let metrics = config_map["data"]["TALLY_METRICS_LISTEN"].as_str().unwrap();
    assert_eq!(port("http"), u64::from(port_of(listen)));
    assert_eq!(port("metrics"), u64::from(port_of(metrics)));
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        assert_eq!(container[probe]["httpGet"]["port"], "http", "{probe}");
    }
    let from: Vec<&str> = container["envFrom"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| {
            s["configMapRef"]["name"]
                .as_str()
                .or(s["secretRef"]["name"].as_str())
        })
        .collect();
    assert_eq!(
        from,
        [
            config_map["metadata"]["name"].as_str().unwrap(),
            yaml("k8s/secret.yaml")["metadata"]["name"]
                .as_str()
                .unwrap()
        ]
    );
    // The pod outlives the drain: the grace period, plus the 4 s shutdown after it.
    let grace: u64 = config_map["data"]["TALLY_SHUTDOWN_GRACE_SECS"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let pod_grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        .as_u64()
        .unwrap();
    assert!(
        pod_grace > grace + 4,
        "terminationGracePeriodSeconds {pod_grace} <= {grace} + 4"
    );
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    assert_eq!(&service["spec"]["selector"], selector);
    assert_eq!(
        &yaml("k8s/pdb.yaml")["spec"]["selector"]["matchLabels"],
        selector
    );
    assert_eq!(
        yaml("k8s/hpa.yaml")["spec"]["scaleTargetRef"]["name"],
        deployment["metadata"]["name"]
    );
    let targets: BTreeSet<&str> = service["spec"]["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|p| p["targetPort"].as_str())
        .collect();
    assert_eq!(targets, BTreeSet::from(["http", "metrics"]));
}

#[test]
fn kustomization_lists_every_manifest() {
    let listed: BTreeSet<String> = yaml("k8s/kustomization.yaml")["resources"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(deploy("k8s"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    assert_eq!(listed, on_disk);
}

/// The services of `## Deploying`'s topology table in the README (first column).
fn documented_topology() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .unwrap_or_default();
    readme
        .lines()
        .skip_while(|line| line.trim_end() != "### Topology")
        .skip(1)
        .take_while(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with("| `"))
        .flat_map(|row| {
            let first = row.trim_matches('|').split('|').next().unwrap_or_default();
            first
                .split(',')
                .map(|name| name.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn compose_runs_the_documented_topology_with_real_settings() {
    let compose = yaml("compose.yaml");
    let services = keys(&compose["services"]);
    let documented = documented_topology();
    assert!(
        documented.len() >= 4,
        "README's ### Topology table did not read: {documented:?}"
    );
    assert_eq!(
        services, documented,
        "compose.yaml's services differ from README's topology"
    );
    let mut instances = 0;
    for name in services.iter().filter(|s| s.starts_with("tally")) {
        instances += 1;
        let env = &compose["services"][name.as_str()]["environment"];
        let names = keys(env);
        assert!(
            unknown(&names).is_empty(),
            "{name} sets unknown settings: {:?}",
            unknown(&names)
        );
        let listen = env["TALLY_LISTEN"].as_str().expect("TALLY_LISTEN");
        assert_eq!(port_of(listen), 8080, "{name}");
        assert_eq!(
            compose["services"][name.as_str()]["build"]["dockerfile"],
            "deploy/Dockerfile"
        );
    }
    assert_eq!(instances, 3, "three Tally instances");
    let haproxy = &compose["services"]["haproxy"];
    let haproxy_config = haproxy["volumes"][0].as_str().unwrap();
    assert!(
        haproxy_config.starts_with("./haproxy.cfg:"),
        "{haproxy_config}"
    );
    // The balancer's servers are the three instances, on their listen port.
    let servers: BTreeSet<String> = ["TALLY_1", "TALLY_2", "TALLY_3"]
        .iter()
        .map(|var| haproxy["environment"][*var].as_str().expect(var).to_owned())
        .collect();
    let expected: BTreeSet<String> = services
        .iter()
        .filter(|s| s.starts_with("tally"))
        .map(|s| format!("{s}:8080"))
        .collect();
    assert_eq!(servers, expected);
    // Every `${VAR}` deploy/haproxy.cfg reads is set for it (the file comes with the
    // load-balancer test; until it is there, compose names its path only).
    if let Ok(config) = std::fs::read_to_string(deploy("haproxy.cfg")) {
        let settings: String = config
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect();
        let mut rest = settings.as_str();
        while let Some(at) = rest.find("${") {
            let tail = &rest[at + 2..];
            let end = tail.find('}').expect("a closing brace");
            let var = &tail[..end];
            assert!(
                haproxy["environment"][var].is_string(),
                "compose does not set {var} for haproxy.cfg"
            );
            rest = &tail[end..];
        }
    }
}

/// The port in `ENV TALLY_LISTEN=…`, `EXPOSE` and the health check's URL agree, and
/// every setting the Dockerfile sets is one the server reads.
#[test]
fn the_dockerfile_sets_real_settings_and_checks_the_real_health_route() {
    let dockerfile = read("Dockerfile");
    let set: BTreeSet<String> = dockerfile
        .split(|c: char| c.is_whitespace() || c == '\\')
        .filter_map(|word| word.split_once('='))
        .map(|(name, _)| name.to_owned())
        .filter(|name| name.starts_with("TALLY_") || name == "LOG_FORMAT")
        .collect();
    assert!(set.contains("TALLY_LISTEN"), "{set:?}");
    assert!(
        unknown(&set).is_empty(),
        "unknown settings: {:?}",
        unknown(&set)
    );
    assert!(dockerfile.contains("TALLY_LISTEN=0.0.0.0:8080"));
    assert!(dockerfile.contains("\nEXPOSE 8080\n"));
    assert!(dockerfile.contains("http://127.0.0.1:8080/healthz"));
    assert!(
        dockerfile.contains("\nUSER 10001"),
        "runs as a non-root user"
    );
    assert!(dockerfile.contains("\nHEALTHCHECK "));
    assert!(dockerfile.contains("cargo build --release --locked -p tally"));
    assert!(dockerfile.contains("npm run build"), "the web app is built");
}

/// The metric names in the dashboard's queries (`tally_…`).
fn dashboard_metrics() -> BTreeSet<String> {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("grafana-dashboard.json")).unwrap();
    let mut exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_owned))
        .collect();
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        exprs.extend(variable["query"].as_str().map(str::to_owned));
    }
    let mut names = BTreeSet::new();
    for expr in exprs {
        let mut rest = expr.as_str();
        while let Some(at) = rest.find("tally_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            names.insert(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_metric_is_exported_and_the_probed_routes_answer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // One GraphQL operation, so its histogram has a series.
    app.graphql(None, "{ viewer { id } }", json!({})).await;
    let text = app.metrics_text().await;
    let exported: BTreeSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let plotted = dashboard_metrics();
    assert!(
        plotted.len() >= 15,
        "the dashboard's queries did not read: {plotted:?}"
    );
    let missing: Vec<_> = plotted
        .iter()
        .filter(|m| !exported.contains(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the dashboard plots metrics /metrics does not export: {missing:?}"
    );
    for route in ["/healthz", "/readyz"] {
        let status = app
            .http()
            .get(format!("{}{route}", app.address))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{route}");
    }
}
