//! The two declarations every command goes through: an area of caller commands, and a channel
//! of its own. Each ties a command struct to its reply type and to the one way it can be sent.

/// One area of [`crate::CallerCommand`]: the enum that carries its commands and, for each, its
/// reply type and its way into the channel.
macro_rules! area {
    (
        $(#[$meta:meta])*
        pub enum $area:ident in CallerCommand::$variant:ident {
            $( $command:ident => $reply:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, serde::Serialize, serde::Deserialize)]
        pub enum $area {
            $( $command($command), )*
        }
        impl $area {
            /// Every command of the area, by name.
            pub const NAMES: &'static [&'static str] = &[$( stringify!($command), )*];

            /// The command's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $( $area::$command(_) => stringify!($command), )*
                }
            }
        }
        $(
            impl $crate::Command for $command {
                type Reply = $reply;
                type Channel = $crate::CallerCommand;
            }
            impl From<$command> for $crate::CallerCommand {
                fn from(command: $command) -> Self {
                    $crate::CallerCommand::$variant($area::$command(command))
                }
            }
        )*
    };
}

/// A channel other than the caller's: its enum, and each command's reply type.
macro_rules! channel {
    (
        $(#[$meta:meta])*
        pub enum $channel:ident {
            $( $command:ident => $reply:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, serde::Serialize, serde::Deserialize)]
        pub enum $channel {
            $( $command($command), )*
        }
        $(
            impl $crate::Command for $command {
                type Reply = $reply;
                type Channel = $channel;
            }
            impl From<$command> for $channel {
                fn from(command: $command) -> Self {
                    $channel::$command(command)
                }
            }
        )*
    };
}
