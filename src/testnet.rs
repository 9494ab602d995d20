//! `rowchain testnet`: a whole network on this machine, one `rowchain node`
//! child process per node, supervised until Ctrl-C or SIGTERM (passed on to
//! every node) or until one of them exits.

use crate::node_counts;
use anyhow::{bail, Context, Result};
use node::netinit::{self, NetworkSpec};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// `rowchain testnet`: every node of the network in `data` (made first if
/// there is none) as a child process running `rowchain node`, until Ctrl-C
/// or SIGTERM, which is passed on to each, or until one of them exits.
pub(crate) fn testnet(data: &Path, spec: &NetworkSpec) -> Result<i32> {
    let dirs = testnet_dirs(data, spec)?;
    let exe = std::env::current_exe().context("finding the rowchain executable")?;
    let mut nodes = Children::default();
    for dir in &dirs {
        let name =
            dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| dir.display().to_string());
        let config = node::load_config(dir)?;
        nodes.spawn(&exe, dir, &name)?;
        let pg_addr = config.pg.addr.replace("0.0.0.0:", "127.0.0.1:");
        println!("rowchain: {name}: psql postgres://admin:admin@{pg_addr}/{}", config.pg.database);
    }
    println!("rowchain: {} nodes running; Ctrl-C stops them all", dirs.len());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let died = rt.block_on(nodes.wait_for_stop_or_exit())?;
    if let Some((name, status)) = &died {
        tracing::error!(node = %name, %status, "a node exited: stopping the others");
    }
    let all_clean = nodes.stop_all(Duration::from_secs(30));
    Ok(if died.is_none() && all_clean { 0 } else { 1 })
}

/// The node directories of the network in `data`: the existing ones, which
/// must match `spec`'s counts, or new ones.
fn testnet_dirs(data: &Path, spec: &NetworkSpec) -> Result<Vec<PathBuf>> {
    let existing = netinit::existing_nodes(data);
    if existing.is_empty() {
        let nodes = netinit::init_network(data, spec)?;
        println!(
            "rowchain: created a network of {} in {}",
            node_counts(spec.validators, spec.observers),
            data.display()
        );
        return Ok(nodes.into_iter().map(|n| n.dir).collect());
    }
    let genesis = node_core::genesis::Genesis::load(&node::DataDir(existing[0].clone()).genesis())?;
    let validators = genesis.validators.len();
    let observers = existing.len().saturating_sub(validators);
    if (validators, observers) != (spec.validators, spec.observers) || existing.len() < validators {
        bail!(
            "{} holds a network of {} ({} node directories), not {}: run with the same counts, or give another --data",
            data.display(),
            node_counts(validators, observers),
            existing.len(),
            node_counts(spec.validators, spec.observers)
        );
    }
    if spec.base_port.is_some() {
        println!("rowchain: --base-port ignored: the existing nodes keep the ports in their rowchain.toml");
    }
    println!("rowchain: using the network in {}", data.display());
    Ok(existing)
}

/// The node processes of a testnet, with the threads that copy their
/// output. Dropping it stops them.
#[derive(Default)]
struct Children {
    nodes: Vec<(String, Child)>,
    output: Vec<std::thread::JoinHandle<()>>,
}

impl Children {
    fn spawn(&mut self, exe: &Path, dir: &Path, name: &str) -> Result<()> {
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        let mut cmd = Command::new(exe);
        cmd.arg("node").arg("--data").arg(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
        // Its own process group: a terminal's Ctrl-C reaches this process
        // only, which stops the nodes itself (and can tell a node that died
        // from one that was stopped).
        cmd.process_group(0);
        // If this process is killed outright, the kernel stops the nodes.
        #[cfg(target_os = "linux")]
        unsafe {
            cmd.pre_exec(|| match libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) {
                -1 => Err(std::io::Error::last_os_error()),
                _ => Ok(()),
            });
        }
        let mut child =
            cmd.spawn().with_context(|| format!("starting {} node --data {}", exe.display(), dir.display()))?;
        let out = child.stdout.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        self.output.push(forward(name.to_owned(), out, false));
        self.output.push(forward(name.to_owned(), err, true));
        self.nodes.push((name.to_owned(), child));
        Ok(())
    }

    /// Waits for Ctrl-C or SIGTERM (returns None) or for a node to exit
    /// (returns its name and exit status).
    async fn wait_for_stop_or_exit(&mut self) -> Result<Option<(String, ExitStatus)>> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = interrupt.recv() => return Ok(None),
                _ = terminate.recv() => return Ok(None),
                _ = tick.tick() => {
                    for (name, child) in &mut self.nodes {
                        if let Some(status) = child.try_wait()? {
                            return Ok(Some((name.clone(), status)));
                        }
                    }
                }
            }
        }
    }

    /// SIGTERM to every node still running, then waits for all of them;
    /// a node still running after `grace` is killed. Returns whether every
    /// node exited successfully.
    fn stop_all(&mut self, grace: Duration) -> bool {
        for (_, child) in &mut self.nodes {
            if matches!(child.try_wait(), Ok(None)) {
                // SAFETY: kill(2) on a child we have not reaped yet.
                unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            }
        }
        let deadline = Instant::now() + grace;
        let mut all_clean = true;
        for (name, mut child) in self.nodes.drain(..) {
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Some(status),
                    Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                    Ok(None) => {
                        tracing::warn!(node = %name, grace_s = grace.as_secs(), "a node did not stop in time: killing it");
                        let _ = child.kill();
                        break child.wait().ok();
                    }
                    Err(e) => {
                        tracing::warn!(node = %name, error = %e, "waiting for a node failed");
                        break None;
                    }
                }
            };
            all_clean &= status.is_some_and(|s| s.success());
        }
        for handle in self.output.drain(..) {
            let _ = handle.join();
        }
        all_clean
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.stop_all(Duration::from_secs(30));
    }
}

/// Copies a node's output line by line, each line led by the node's name.
fn forward(name: String, from: impl std::io::Read + Send + 'static, to_stderr: bool) -> std::thread::JoinHandle<()> {
    use std::io::{BufRead, Write};
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            // A closed terminal or pipe must not stop the node: errors are dropped.
            let _ = match to_stderr {
                true => writeln!(std::io::stderr().lock(), "{name} | {line}"),
                false => writeln!(std::io::stdout().lock(), "{name} | {line}"),
            };
        }
    })
}
