//! The MCP software the interop tests drive, installed by `.ci/mcp-tools.sh`, and the example
//! MCP server (`examples/mcp_server`), over stdio or Streamable HTTP.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The installed clients, by the names `.ci/mcp-tools.sh` prints (`INSPECTOR_CLI`, …).
pub fn clients() -> &'static HashMap<String, String> {
    static CLIENTS: OnceLock<HashMap<String, String>> = OnceLock::new();
    CLIENTS.get_or_init(|| {
        let script = workspace().join(".ci/mcp-tools.sh");
        let mut command = Command::new("bash");
        // Into the target directory this test runs from, unless the user chose a place.
        if std::env::var_os("MCP_TOOLS_DIR").is_none() {
            command.env("MCP_TOOLS_DIR", target_dir().join("mcp-tools"));
        }
        let output = command
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .expect("bash runs");
        assert!(output.status.success(), "{} failed", script.display());
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter_map(|line| {
                let (key, value) = line.split_once('=')?;
                // The script quotes with bash's %q; the paths it prints have no spaces.
                Some((key.to_owned(), value.trim_matches('\'').to_owned()))
            })
            .collect()
    })
}

/// The target directory of the running test (`<target>/debug/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .expect("a test runs from <target>/<profile>/deps")
        .to_owned()
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The example server's binary: the one `cargo test --workspace --all-features` built beside
/// this test, or built now (with `cargo build`) when this run did not build it.
pub fn server() -> &'static PathBuf {
    static SERVER: OnceLock<PathBuf> = OnceLock::new();
    SERVER.get_or_init(|| example("mcp_server"))
}

/// The binary of the MCP example `name` (`mcp_server`, `mcp_client`): the one `cargo test
/// --workspace --all-features` built beside this test, or built now (with `cargo build`) when
/// this run did not build it.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(name);
    if path.exists() {
        return path;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--features", "mcp", "--example", name])
        .args(["-p", "tool-runtime-examples"])
        .current_dir(workspace())
        .status()
        .unwrap();
    assert!(status.success(), "the example {name} builds");
    assert!(path.exists(), "{}", path.display());
    path
}

/// How long a client process may take before the test gives up on it.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// `command`'s output, or a panic when it takes longer than [`PATIENCE`] (it is killed).
pub fn output_within(command: &mut Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let (stdout, stderr) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{command:?} took longer than {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// The Inspector CLI's JSON answer to `args` against `target` (a command or a URL), and its
/// exit code.
pub fn inspector(args: &[&str], target: &[&str]) -> (Value, Option<i32>) {
    let output = output_within(
        Command::new(&clients()["INSPECTOR_CLI"])
            .args(["--format", "json"])
            .args(args)
            .arg("--")
            .args(target),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        json!({"stdout": stdout, "stderr": stderr})
    });
    (value, output.status.code())
}

/// The example served over Streamable HTTP on a free port; killed when dropped.
pub struct HttpServer {
    child: Child,
    /// The endpoint, `http://127.0.0.1:PORT/mcp`.
    pub url: String,
}

impl HttpServer {
    /// Starts it.
    pub fn start() -> Self {
        let mut child = Command::new(server())
            .args(["--http", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        // The first line says where it listens; what it writes later is read and dropped (a
        // closed pipe would fail its writes).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            let _ = tx.send(lines.next().and_then(Result::ok).unwrap_or_default());
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(PATIENCE)
            .expect("the server says where it listens");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
