<StatusRecord>
  <DateTime>2024-06-01 10:15:00</DateTime>
  <Event>SEND</Event>
  <Description>Message sent</Description>
</StatusRecord>
