#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    // With arguments: an operator command (see `startup::operator_command`); without: the server.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = if args.is_empty() { intranet::startup::serve().await } else { intranet::startup::operator_command(&args).await };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser side starts from `hydrate()` in lib.rs.
}
