# bash completion for trunkctl (made by 'trunkctl completion bash')
_trunkctl()
{
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
  local global="--server --token --config --cacert --json --quiet --help"
  local cmd="" sub="" i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --server|--token|--config|--cacert) ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
    esac
  done
  case $prev in
    --config|--cacert) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --server|--token|--limit|--cursor|--from|--to) return ;;
  esac
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "customers trunks trunk-uris carriers gateways tariffs numbers rates route calls stats cdr health completion help $global" -- "$cur")); return
  fi
  local subs="" opts=""
  case $cmd in
    customers)
      subs="list get add update delete"
      opts="--name --country --tariff --credit-limit --balance --max-channels --max-cps --enabled --disabled --limit --cursor --all --quiet --help" ;;
    trunks)
      subs="list get add update delete"
      opts="--name --customer --cidrs --username --password --realm --tech-prefix --media-mode --max-channels --enabled --disabled --limit --cursor --all --quiet --help" ;;
    trunk-uris)
      subs="list get add update delete"
      opts="--uri --trunk --priority --weight --limit --cursor --all --quiet --help" ;;
    carriers)
      subs="list get add update delete"
      opts="--name --cidrs --priority --max-channels --max-cps --number-format --strip-digits --add-prefix --enabled --disabled --limit --cursor --all --quiet --help" ;;
    gateways)
      subs="list get add update delete"
      opts="--host --carrier --port --transport --priority --weight --enabled --disabled --limit --cursor --all --quiet --help" ;;
    tariffs)
      subs="list get add update delete"
      opts="--name --currency --limit --cursor --all --quiet --help" ;;
    numbers)
      subs="list get add update delete add-range"
      opts="--e164 --customer --trunk --delivery-uri --country --type --enabled --disabled --limit --cursor --all --quiet --help" ;;
    rates)
      subs="list get add update delete import"
      opts="--prefix --rate --connect-fee --inc-first --inc-next --effective-from --carrier --tariff --columns --limit --cursor --all --quiet --help" ;;
    route) subs="explain"; opts="--customer --at --help" ;;
    calls) subs="list show hangup"; opts="--customer --carrier --direction --state --number --limit --all --watch --help" ;;
    stats) opts="--window --carrier --customer --help" ;;
    cdr) subs="list get"; opts="--from --to --customer --carrier --number --sip-code --cause --direction --csv --limit --cursor --all --help" ;;
    completion) subs="bash" ;;
    health) opts="--help" ;;
  esac
  if [[ $cmd == rates && $sub == import && $cur != -* ]]; then
    COMPREPLY=($(compgen -f -- "$cur")); return
  fi
  if [[ -z $sub && -n $subs && $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur")); return
  fi
  COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
}
complete -F _trunkctl trunkctl
