//! What a benchmark reads of a process from /proc (Linux), shared by the benchmark
//! programs through `#[path]`.

/// CPU time (user and system) a process has used so far, in ms.
pub fn cpu_ms(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // utime and stime are the 14th and 15th fields: the 12th and 13th after the command's
    // closing parenthesis (the command itself may hold spaces).
    let after_command = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let ticks: Vec<u64> = after_command.split_whitespace().skip(11).take(2).filter_map(|v| v.parse().ok()).collect();
    // SAFETY: sysconf only reads a system setting.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks.len() != 2 || ticks_per_second <= 0 {
        return Err(format!("cannot read the CPU time of process {pid}"));
    }
    Ok((ticks[0] + ticks[1]) * 1000 / ticks_per_second as u64)
}
