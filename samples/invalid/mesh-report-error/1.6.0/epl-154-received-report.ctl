<DTSControl>
<Version>1.0</Version>
<AddressType>ALL</AddressType>
<MessageType>Report</MessageType>
<From_DTS>A12345OT001</From_DTS>
<To_DTS>GPPROVIDER_9993456780_23061987_Fernley</To_DTS>
<Subject>Consultation report for Harriet Fernley, NHS Number 9993456780, seen at Riverside Health Hub, ODS Code A12345, Version 1</Subject>
<LocalId>A12345</LocalId>
<DTSId>20240601101500123456_A1B2C3</DTSId>
<PartnerId></PartnerId>
<Compress>Y</Compress>
<Encrypted>N</Encrypted>
<WorkflowId>GPFED_CONSULT_REPORT</WorkflowId>
<ProcessId></ProcessId>
<DataChecksum></DataChecksum>
<IsCompressed>N</IsCompressed>
<StatusRecord>
  <DateTime>20240601101500</DateTime>
  <Event>SEND</Event>
  <Status>ERROR</Status>
  <StatusCode>EPL-154</StatusCode>
  <Description>NHS Number supplied does not match the demographics</Description>
</StatusRecord>
</DTSControl>
